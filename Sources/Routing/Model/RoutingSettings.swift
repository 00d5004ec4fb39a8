// The bounds and timings the routing state machine obeys (a subset of the broker's settings).

public struct RoutingSettings: Sendable, Equatable {
    /// Fixed when the cluster is created.
    public var shardCount: Int
    /// Heartbeats go both ways this often.
    public var heartbeatIntervalMillis: UInt64
    /// A slot silent for this many intervals is dead.
    public var heartbeatLiveness: UInt64
    /// Requests waiting for one shard (hand-over, no owner yet); beyond it: EBUSY.
    public var shardQueueMax: Int
    /// Requests one client may have in the broker (queued or at a worker); beyond it: EBUSY.
    public var clientInflightMax: Int
    /// Requests dispatched to one slot and not yet answered. Beyond it requests wait in the
    /// broker, in the slot's per-client round-robin queue, so a worker never holds more than
    /// this and a flooding client cannot stand in front of another client.
    public var slotInflightMax: Int = 256
    /// Requests waiting for room in one slot's window; beyond it the newest request of the
    /// client holding the most is refused (EBUSY).
    public var slotQueueMax: Int = 8192
    /// Extra silence allowed to a slot with requests in flight: a worker thread cannot
    /// heartbeat while it runs one request, which may take this long (the Lua time limit).
    /// Without it, one slow script would get a healthy slot declared dead.
    public var busyGraceMillis: UInt64 = 0
    /// How long a request refused as poison (it lost its worker on two distinct slots) is
    /// remembered: a retry of the same (client, id) within it gets the same answer.
    public var poisonRecallMillis: UInt64 = 600_000
    /// At most this many poison refusals are remembered; the oldest are forgotten first.
    public var poisonRecallMax: Int = 4096
    /// Distinct slots a request may lose before it is refused as poison: it is dispatched
    /// again after the first loss only. A request whose execution kills or wedges a worker
    /// would otherwise go round the cluster.
    public static let dispatchesPerRequest = 2

    public init(shardCount: Int = 64, heartbeatIntervalMillis: UInt64 = 500, heartbeatLiveness: UInt64 = 4,
                shardQueueMax: Int = 1024, clientInflightMax: Int = 4096) {
        self.shardCount = shardCount
        self.heartbeatIntervalMillis = heartbeatIntervalMillis
        self.heartbeatLiveness = heartbeatLiveness
        self.shardQueueMax = shardQueueMax
        self.clientInflightMax = clientInflightMax
    }

    var heartbeatIntervalNanos: UInt64 { heartbeatIntervalMillis * 1_000_000 }
    /// How long a slot may stay silent before it is declared dead.
    var silenceLimitNanos: UInt64 { heartbeatIntervalNanos * heartbeatLiveness }
    /// The same for a slot that is running requests.
    var busySilenceLimitNanos: UInt64 { silenceLimitNanos + busyGraceMillis * 1_000_000 }
    var poisonRecallNanos: UInt64 { poisonRecallMillis * 1_000_000 }
}
