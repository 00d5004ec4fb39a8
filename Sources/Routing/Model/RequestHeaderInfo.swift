// What the broker needs from a request without decoding its ops: enough to route, bound,
// deduplicate and time it out. The body itself travels to the worker unchanged.
import Codec

public struct RequestHeaderInfo: Sendable, Equatable {
    public var version: Int
    /// The request's own client field (the exactly-once key at the worker).
    public var client: Bytes
    public var id: UInt64
    public var oid: Bytes
    /// Relative deadline; nil: none.
    public var timeoutMillis: UInt64?
    public var flags: RequestFlags

    public init(version: Int = protocolVersion, client: Bytes = [], id: UInt64, oid: Bytes,
                timeoutMillis: UInt64? = nil, flags: RequestFlags = []) {
        self.version = version
        self.client = client
        self.id = id
        self.oid = oid
        self.timeoutMillis = timeoutMillis
        self.flags = flags
    }
}
