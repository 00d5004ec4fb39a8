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
        /// Requests waiting in the broker for room in its window (broker.slot_inflight_max).
        public var queued: Int = 0
        public var silentMillis: Double
        public var replies: UInt64
        /// Dispatch-to-reply time at the broker, microseconds, over recent replies.
        public var latencyMicros: LatencySummary

        public init(id: String, worker: String, pid: Int32, host: String, thread: UInt32, threads: UInt32, state: String, shards: [Int], movingShards: [Int], inflight: Int, queued: Int = 0, silentMillis: Double, replies: UInt64, latencyMicros: LatencySummary) {
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
            self.queued = queued
            self.silentMillis = silentMillis
            self.replies = replies
            self.latencyMicros = latencyMicros
        }
    }

    /// One handler, class method or plain op request across the live slots: counts summed,
    /// p50 the count-weighted mean of the slots' p50s, p99 the largest slot p99.
    /// (The same fields as a slot's report, so one type.)
    public typealias Handler = HandlerStats

    /// One client connection with requests in the broker or replies it has not read.
    public struct Client: Codable, Sendable, Equatable {
        /// Its ZeroMQ routing id, in hex.
        public var id: String
        /// Requests accepted and not yet answered, queued or at a worker (bounded by
        /// broker.client_inflight_max).
        public var inflight: Int
        /// Of those, waiting in the broker's queues.
        public var queued: Int
        /// Bytes of replies sent to it that it has not taken off its socket (bounded by
        /// broker.client_reply_bytes_max).
        public var unreadReplyBytes: Int64

        public init(id: String, inflight: Int, queued: Int, unreadReplyBytes: Int64) {
            self.id = id
            self.inflight = inflight
            self.queued = queued
            self.unreadReplyBytes = unreadReplyBytes
        }
    }

    /// The flow-control bounds the broker runs with.
    public struct Bounds: Codable, Sendable, Equatable {
        public var clientInflightMax: Int
        public var shardQueueMax: Int
        public var slotInflightMax: Int
        public var slotQueueMax: Int
        public var clientReplyBytesMax: Int64
        public var replyBytesMax: Int64

        public init(clientInflightMax: Int = 0, shardQueueMax: Int = 0, slotInflightMax: Int = 0, slotQueueMax: Int = 0,
                    clientReplyBytesMax: Int64 = 0, replyBytesMax: Int64 = 0) {
            self.clientInflightMax = clientInflightMax
            self.shardQueueMax = shardQueueMax
            self.slotInflightMax = slotInflightMax
            self.slotQueueMax = slotQueueMax
            self.clientReplyBytesMax = clientReplyBytesMax
            self.replyBytesMax = replyBytesMax
        }
    }

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
    /// The clients with the most in flight or unread (at most `Self.topClients`).
    public var clients: [Client] = []
    /// Clients with requests in the broker or unread replies, all of them.
    public var clientCount: Int = 0
    /// Bytes of replies sent and not yet taken off their sockets, over all clients.
    public var unreadReplyBytes: Int64 = 0
    /// Requests answered busy because their client (or all clients) had too many unread reply bytes.
    public var replyBudgetRefused: UInt64 = 0
    /// Requests answered busy because a shard or worker slot queue was full.
    public var queueRefused: UInt64 = 0
    public var bounds = Bounds()

    /// How many clients the document lists.
    public static let topClients = 10

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
