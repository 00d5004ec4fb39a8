// Bytes handed to libzmq and not yet released by it. A message sent with
// `Socket.send(_:_:_:chargedTo:)` counts against an account (and its ledger, the total over all
// accounts) from the send until libzmq frees it: once its bytes are in the kernel's socket
// buffer, or it was dropped. For a ROUTER that is the memory held for a peer that does not read.
import CZeroMQ

/// The total over a set of accounts.
///
/// `@unchecked Sendable`: the counter is updated atomically (libzmq's I/O thread decrements it)
/// and the C object is reference-counted, so it outlives messages freed after this is gone.
public final class ByteLedger: @unchecked Sendable {
    let raw: UnsafeMutablePointer<sepia_byte_ledger>

    public init() {
        guard let raw = sepia_ledger_new() else { fatalError("out of memory allocating a byte ledger") }
        self.raw = raw
    }

    deinit { sepia_ledger_release(raw) }

    /// Bytes charged to its accounts and not yet released.
    public var bytes: Int64 { sepia_ledger_bytes(raw) }

    public func makeAccount() -> ByteAccount { ByteAccount(ledger: self) }
}

/// One peer's charge (see `ByteLedger`).
///
/// `@unchecked Sendable`: as `ByteLedger`.
public final class ByteAccount: @unchecked Sendable {
    let raw: UnsafeMutablePointer<sepia_byte_account>

    init(ledger: ByteLedger) {
        guard let raw = sepia_account_new(ledger.raw) else { fatalError("out of memory allocating a byte account") }
        self.raw = raw
    }

    deinit { sepia_account_release(raw) }

    /// Bytes charged and not yet released.
    public var bytes: Int64 { sepia_account_bytes(raw) }
}
