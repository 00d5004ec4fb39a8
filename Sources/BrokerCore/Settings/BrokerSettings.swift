// The broker's settings with the documented defaults. The Config module's YAML maps onto this
// (broker.* and cluster.shard_count); flags override both in the executable.
import Routing

public struct BrokerSettings: Sendable, Equatable {
    public var clientEndpoint: String
    public var workerEndpoint: String
    public var shardCount: Int
    public var heartbeatIntervalMillis: UInt64
    public var heartbeatLiveness: UInt64
    public var shardQueueMax: Int
    public var clientInflightMax: Int
    /// ZMQ_MAXMSGSIZE on both sockets: a peer sending a larger frame is disconnected by libzmq
    /// before the broker allocates it.
    public var maxFrameBytes: Int

    public init(clientEndpoint: String = "tcp://127.0.0.1:7700", workerEndpoint: String = "tcp://127.0.0.1:7701",
                shardCount: Int = 64, heartbeatIntervalMillis: UInt64 = 500, heartbeatLiveness: UInt64 = 4,
                shardQueueMax: Int = 1024, clientInflightMax: Int = 4096, maxFrameBytes: Int = 64 << 20) {
        self.clientEndpoint = clientEndpoint
        self.workerEndpoint = workerEndpoint
        self.shardCount = shardCount
        self.heartbeatIntervalMillis = heartbeatIntervalMillis
        self.heartbeatLiveness = heartbeatLiveness
        self.shardQueueMax = shardQueueMax
        self.clientInflightMax = clientInflightMax
        self.maxFrameBytes = maxFrameBytes
    }

    public var routing: RoutingSettings {
        RoutingSettings(shardCount: shardCount, heartbeatIntervalMillis: heartbeatIntervalMillis,
                        heartbeatLiveness: heartbeatLiveness, shardQueueMax: shardQueueMax,
                        clientInflightMax: clientInflightMax)
    }
}
