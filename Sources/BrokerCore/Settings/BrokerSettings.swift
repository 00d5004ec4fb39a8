// The broker's settings. `BrokerSettings()` is the documented defaults, read from SepiaConfig
// (BrokerSettings+Config.swift); flags override them in the executable.
import Routing

public struct BrokerSettings: Sendable, Equatable {
    /// broker.client_endpoint
    public var clientEndpoint: String
    /// broker.worker_endpoint
    public var workerEndpoint: String
    /// broker.max_frame_bytes: ZMQ_MAXMSGSIZE on both sockets, so a peer sending a larger frame
    /// is disconnected by libzmq before the broker allocates it.
    public var maxFrameBytes: Int
    /// cluster.shard_count, broker.heartbeat_interval_ms, broker.heartbeat_liveness,
    /// broker.shard_queue_max, broker.client_inflight_max, broker.slot_inflight_max,
    /// broker.slot_queue_max (defaults 64, 500, 4, 1024, 4096, 256, 8192).
    public var routing: RoutingSettings
    /// CURVE on both sockets; nil: plain TCP (a local cluster binds 127.0.0.1 only).
    public var curve: CurveServerSettings?
    /// broker.client_reply_bytes_max: bytes of replies one client has not taken off its
    /// socket; beyond it that client's new requests are answered busy instead of dispatched.
    public var clientReplyBytesMax: Int64 = 128 << 20
    /// broker.reply_bytes_max: the same over all clients.
    public var replyBytesMax: Int64 = 1 << 30

    public init(clientEndpoint: String, workerEndpoint: String,
                maxFrameBytes: Int = 64 << 20, routing: RoutingSettings = RoutingSettings(),
                curve: CurveServerSettings? = nil) {
        self.clientEndpoint = clientEndpoint
        self.workerEndpoint = workerEndpoint
        self.maxFrameBytes = maxFrameBytes
        self.routing = routing
        self.curve = curve
    }
}
