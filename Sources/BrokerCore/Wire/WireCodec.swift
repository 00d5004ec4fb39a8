// The broker's only view of message encoding. The broker never decodes ops or replies: it
// peeks a request's header, forwards bodies unchanged, and speaks control messages.
import Codec
import Routing

/// Implemented over the msgpack Codec (MessageWireCodec) and by a simple test encoding.
public protocol WireCodec: Sendable {
    /// Reads what routing needs without decoding the ops. Throws for a malformed or
    /// unsupported request; a `ResultCodeError` is answered as is, anything else as -EIO kind `bug`.
    func peekRequest(_ body: [UInt8]) throws -> RequestHeaderInfo
    /// The id of a request `peekRequest` refused, when it can still be read (a frame over the
    /// size bound, another version, a missing oid, trailing bytes), so the refusal reaches the
    /// waiting caller; 0 when it cannot.
    func requestID(ofRefused body: [UInt8]) -> UInt64
    /// Encodes a reply the broker itself answers with (errors only).
    func encodeReply(_ reply: Reply) -> [UInt8]
    func decodeControl(_ body: [UInt8]) throws -> Control
    func encodeControl(_ control: Control) -> [UInt8]
}

extension WireCodec {
    public func requestID(ofRefused body: [UInt8]) -> UInt64 { 0 }
}
