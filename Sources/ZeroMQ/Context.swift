// The ZeroMQ context: one per process, shared by all sockets.
import CZeroMQ

/// Owns a ZeroMQ context. Thread-safe by ZeroMQ's contract (contexts may be shared).
///
/// `@unchecked Sendable`: libzmq documents contexts as thread-safe; the wrapper holds only the
/// opaque pointer, set once in init and freed in deinit.
public final class Context: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// The process-wide context.
    public static let shared: Context = {
        do { return try Context() } catch { fatalError("zmq_ctx_new failed: \(error)") }
    }()

    public init(ioThreads: Int32 = 1) throws(ZMQError) {
        guard let h = zmq_ctx_new() else {
            throw ZMQError(errno: lastErrno(), operation: "zmq_ctx_new")
        }
        handle = h
        try check(zmq_ctx_set(h, ZMQ_IO_THREADS, ioThreads), "zmq_ctx_set(IO_THREADS)")
    }

    /// Ends the context: blocked calls on its sockets return ETERM. Sockets must be closed
    /// (they use linger 0, so this does not hang).
    public func shutdown() { zmq_ctx_shutdown(handle) }

    deinit { zmq_ctx_term(handle) }
}

/// CURVE key pairs (Z85 text, 40 characters each).
public enum Curve {
    public static var isAvailable: Bool { zmq_has("curve") == 1 }

    public static func keyPair() throws(ZMQError) -> (publicKey: String, secretKey: String) {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        try check(zmq_curve_keypair(&pub, &sec), "zmq_curve_keypair")
        return (decodeCString(pub), decodeCString(sec))
    }

    /// The public key of a secret key.
    public static func publicKey(ofSecret secret: String) throws(ZMQError) -> String {
        var pub = [CChar](repeating: 0, count: 41)
        try check(zmq_curve_public(&pub, secret), "zmq_curve_public")
        return decodeCString(pub)
    }

    /// True for a CURVE key as the settings hold it: 40 characters of Z85.
    public static func isKey(_ text: String) -> Bool {
        guard text.utf8.count == 40 else { return false }
        var raw = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&raw, text) != nil
    }

    /// Z85 text of a binary key (ZAP hands client keys over as 32 raw bytes).
    public static func z85(_ key: [UInt8]) -> String? {
        guard !key.isEmpty, key.count % 4 == 0 else { return nil }
        var text = [CChar](repeating: 0, count: key.count * 5 / 4 + 1)
        guard zmq_z85_encode(&text, key, key.count) != nil else { return nil }
        return decodeCString(text)
    }

    private static func decodeCString(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
