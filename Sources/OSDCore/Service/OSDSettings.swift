// What one OSD worker process needs to know, resolved from the configuration.
import Codec

public struct OSDSettings: Sendable {
    /// The broker's worker endpoint.
    public var brokerEndpoint: String = "tcp://127.0.0.1:7701"
    /// Shard directories live under `<dataRoot>/shards/<NNN>`.
    public var dataRoot: String = "./sepia-data"
    /// Worker threads (slots); 0 = the number of cores.
    public var threads: Int = 0
    /// A name unique to this process (default: host-pid).
    public var name: String = ""
    public var defaultDurability: Durability = .sync
    public var heartbeatIntervalMillis: Int = 500
    public var heartbeatLiveness: Int = 4
    /// Most requests executed in one group-commit round (one sync per touched shard).
    public var groupCommitMax: Int = 128
    public var dedupMaxEntries: Int = 100_000
    public var dedupMaxAgeSeconds: Int = 3600
    public var maxFrameBytes: Int = 64 << 20
    public var maxObjectBytes: UInt64 = 256 << 20
    public var maxXattrBytes: Int = 64 << 10
    public var maxOmapEntriesPerRequest: Int = 100_000
    public var maxOmapBytesPerRequest: Int = 64 << 20
    // Lua
    public var classesDirectory: String = "./classes"
    public var instructionLimit: UInt64 = 100_000_000
    public var timeLimitMillis: UInt64 = 5000
    public var memoryLimitBytes: UInt64 = 64 << 20
    public var outputLimitBytes: UInt64 = 16 << 20
    public var scriptCacheEntries: Int = 256
    public var maxScriptBytes: Int = 1 << 20
    /// Script log bytes per second the process writes to its log (0: no rate limit).
    public var logBytesPerSecond: Int = 1 << 20
    // Imaging
    public var maxPixels: Int = 50_000_000
    /// Most pixel memory one decode or resize may take (estimated from the header).
    public var maxDecodeBytes: Int = 256 << 20
    public var imagePolicyDirectory: String? = nil
    // CURVE (empty: plain TCP)
    public var curveServerPublicKey: String = ""
    public var curvePublicKey: String = ""
    public var curveSecretKey: String = ""

    /// Fault injection for the watchdog's tests (environment SEPIA_OSD_FAULT_WEDGE_HANDLER):
    /// a request calling this Lua handler holds its thread for ever, as a stuck C call would.
    public var faultWedgeHandler: String? = nil

    public init() {}

    public var resolvedThreads: Int {
        threads > 0 ? threads : max(1, ProcessInfoShim.activeCores)
    }
}
