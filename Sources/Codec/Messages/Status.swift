// The broker's admin "status" document: one Codable type that the broker encodes and the
// client, the CLI and the tests decode (JSON, so it does not depend on the wire codec).
// Every field is described in docs/protocol.md.

public struct LatencySummary: Codable, Sendable, Equatable {
    public var samples: Int = 0
    public var p50: Double = 0
    public var p90: Double = 0
    public var p99: Double = 0
    public var max: Double = 0

    public init(samples: Int = 0, p50: Double = 0, p90: Double = 0, p99: Double = 0, max: Double = 0) {
        self.samples = samples
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.max = max
    }
}

public struct BrokerStatus: Codable, Sendable, Equatable {
    public struct Worker: Codable, Sendable, Equatable {
        /// The slot's routing id.
        public var id: String
        public var worker: String
        public var pid: Int32
        public var host: String
        public var thread: UInt32
        public var threads: UInt32
        /// "serving", "joining" (shards assigned, none open yet) or "idle".
        public var state: String
        public var shards: [Int]
        public var movingShards: [Int]
        public var inflight: Int
        public var silentMillis: Double
        public var replies: UInt64
        /// Dispatch-to-reply time at the broker, microseconds, over recent replies.
        public var latencyMicros: LatencySummary

        public init(id: String, worker: String, pid: Int32, host: String, thread: UInt32, threads: UInt32, state: String, shards: [Int], movingShards: [Int], inflight: Int, silentMillis: Double, replies: UInt64, latencyMicros: LatencySummary) {
            self.id = id
            self.worker = worker
            self.pid = pid
            self.host = host
            self.thread = thread
            self.threads = threads
            self.state = state
            self.shards = shards
            self.movingShards = movingShards
            self.inflight = inflight
            self.silentMillis = silentMillis
            self.replies = replies
            self.latencyMicros = latencyMicros
        }
    }

    /// One handler, class method or plain op request across the live slots: counts summed,
    /// p50 the count-weighted mean of the slots' p50s, p99 the largest slot p99.
    /// (The same fields as a slot's report, so one type.)
    public typealias Handler = HandlerStats

    public struct Queues: Codable, Sendable, Equatable {
        public var total: Int
        /// Shard number (as a string: JSON keys) -> waiting requests; only non-empty queues.
        public var byShard: [String: Int]

        public init(total: Int, byShard: [String: Int]) {
            self.total = total
            self.byShard = byShard
        }
    }

    public var clientEndpoint: String
    public var workerEndpoint: String
    public var epoch: UInt64
    public var shardCount: Int
    public var unownedShards: Int
    public var workers: [Worker]
    public var queues: Queues
    public var pending: Int
    public var requests: UInt64
    public var requestsPerSecond: Double
    public var repliesForwarded: UInt64
    public var errorsByKind: [String: UInt64]
    public var lateRepliesDropped: UInt64
    public var malformedFrames: UInt64
    public var undeliverable: UInt64
    /// CURVE handshakes refused by the allow-lists.
    public var authRejected: UInt64
    /// Latency by handler/class, as the workers report it.
    public var handlers: [Handler] = []

    public static let empty = BrokerStatus(
        clientEndpoint: "", workerEndpoint: "", epoch: 0, shardCount: 0, unownedShards: 0, workers: [],
        queues: Queues(total: 0, byShard: [:]), pending: 0, requests: 0, requestsPerSecond: 0, repliesForwarded: 0,
        errorsByKind: [:], lateRepliesDropped: 0, malformedFrames: 0, undeliverable: 0, authRejected: 0)

    public init(clientEndpoint: String, workerEndpoint: String, epoch: UInt64, shardCount: Int, unownedShards: Int, workers: [Worker], queues: Queues, pending: Int, requests: UInt64, requestsPerSecond: Double, repliesForwarded: UInt64, errorsByKind: [String: UInt64], lateRepliesDropped: UInt64, malformedFrames: UInt64, undeliverable: UInt64, authRejected: UInt64, handlers: [Handler] = []) {
        self.clientEndpoint = clientEndpoint
        self.workerEndpoint = workerEndpoint
        self.epoch = epoch
        self.shardCount = shardCount
        self.unownedShards = unownedShards
        self.workers = workers
        self.queues = queues
        self.pending = pending
        self.requests = requests
        self.requestsPerSecond = requestsPerSecond
        self.repliesForwarded = repliesForwarded
        self.errorsByKind = errorsByKind
        self.lateRepliesDropped = lateRepliesDropped
        self.malformedFrames = malformedFrames
        self.undeliverable = undeliverable
        self.authRejected = authRejected
        self.handlers = handlers
    }
}
