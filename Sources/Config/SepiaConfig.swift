// Sepia's configuration: every setting with its default. The shipped config/sepia.yaml
// holds the same defaults (a test keeps them equal); docs/configuration.md explains them.

public struct SepiaConfig: Sendable, Equatable {
    public var cluster = Cluster()
    public var broker = Broker()
    public var osd = OSD()
    public var lua = Lua()
    public var imaging = Imaging()
    public var limits = Limits()
    public var client = Client()
    public var security = Security()

    public init() {}

    public struct Cluster: Sendable, Equatable {
        /// Shards (placement groups); fixed when the cluster is created.
        public var shardCount = 64
        /// Folder holding each shard's LevelDB directory.
        public var dataRoot = "./sepia-data"
    }

    public struct Broker: Sendable, Equatable {
        /// ROUTER socket the clients connect to.
        public var clientEndpoint = "tcp://127.0.0.1:7700"
        /// ROUTER socket the workers connect to.
        public var workerEndpoint = "tcp://127.0.0.1:7701"
        public var heartbeatIntervalMs = 500
        /// Missed heartbeats before a peer counts as dead.
        public var heartbeatLiveness = 4
        /// Requests queued per shard while it has no owner.
        public var shardQueueMax = 1024
        /// Requests in flight per client before the broker answers `busy`.
        public var clientInflightMax = 4096
        /// Largest request or reply body accepted.
        public var maxFrameBytes = 67_108_864
        /// Requests dispatched to one worker slot and not yet answered.
        public var slotInflightMax = 256
        /// Requests waiting in the broker for room at one worker slot.
        public var slotQueueMax = 8192
        /// Unread reply bytes per client before its requests are answered `busy`.
        public var clientReplyBytesMax = 134_217_728
        /// Unread reply bytes over all clients before requests are answered `busy`.
        public var replyBytesMax = 1_073_741_824
    }

    public struct OSD: Sendable, Equatable {
        /// Worker threads; 0 means one per core.
        public var threads = 0
        /// Default durability: "sync" or "none".
        public var durability = "sync"
        /// Folder of Lua class files served by `call`.
        public var classesDir = "./classes"
        /// Exactly-once records kept per shard.
        public var dedupMaxEntries = 100_000
        /// Age after which an exactly-once record may be dropped.
        public var dedupMaxAgeSeconds = 3600
        /// Most transactions committed by one sync.
        public var groupCommitMax = 128
    }

    public struct Lua: Sendable, Equatable {
        public var instructionLimit = 100_000_000
        public var timeLimitMs = 5000
        public var memoryLimitBytes = 67_108_864
        public var outputLimitBytes = 16_777_216
        /// Compiled scripts cached per worker thread (LRU by SHA-256).
        public var scriptCacheEntries = 256
        public var maxScriptBytes = 1_048_576
        /// Script log bytes a worker process writes to its log per second (0: no limit).
        public var logBytesPerSecond = 1_048_576
    }

    public struct Imaging: Sendable, Equatable {
        /// Largest image (width x height, from the header) decoded.
        public var maxPixels = 50_000_000
        /// Most pixel memory one decode or resize may take (estimated from the header).
        public var maxDecodeBytes = 268_435_456
        /// Folder of the ImageMagick policy.xml; empty: the shipped config/imagemagick.
        public var policyDir = ""
    }

    public struct Limits: Sendable, Equatable {
        public var maxObjectBytes = 268_435_456
        public var maxXattrBytes = 65536
        public var maxOmapEntriesPerRequest = 100_000
        public var maxOmapBytesPerRequest = 67_108_864
    }

    public struct Client: Sendable, Equatable {
        /// Broker endpoint; empty: the local cluster's default (broker.client_endpoint).
        public var broker = ""
        public var timeoutMs = 30_000
        /// Resends of a retryable failure (same request id).
        public var retries = 5
        /// Requests a bulk command keeps in flight.
        public var window = 64
    }

    public struct Security: Sendable, Equatable {
        /// CURVE keys (Z85 text). Empty server keys: no encryption.
        public var curveServerPublicKey = ""
        public var curveServerSecretKey = ""
        /// Client/worker public keys the broker accepts; empty: any key.
        public var allowedClientKeys: [String] = []
        public var allowedWorkerKeys: [String] = []
        public var clientPublicKey = ""
        public var clientSecretKey = ""
        /// A worker process's own key pair; empty: a fresh pair at each start (fine without
        /// a worker allow-list).
        public var workerPublicKey = ""
        public var workerSecretKey = ""
    }
}
