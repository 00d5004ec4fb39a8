// What one OSD worker process needs to know, resolved once from the configuration. The
// scripting and storage options are the modules' own types, nested here as the broker nests
// its routing settings; the defaults are SepiaConfig's (equal to config/sepia.yaml, tested).
import Codec
import Config
import Scripting
import Storage

public struct OSDSettings: Sendable, Equatable {
    /// broker.worker_endpoint
    public var brokerEndpoint: String
    /// cluster.data_root: shard directories live under `<dataRoot>/shards/<NNN>`.
    public var dataRoot: String
    /// osd.threads: worker threads (slots); 0 = the number of cores.
    public var threads: Int
    /// A name unique to this process (default: host-pid).
    public var name: String = ""
    /// osd.durability
    public var defaultDurability: Durability
    /// broker.heartbeat_interval_ms, broker.heartbeat_liveness
    public var heartbeatIntervalMillis: Int
    public var heartbeatLiveness: Int
    /// osd.group_commit_max: most requests executed in one group-commit round (one sync per
    /// touched shard).
    public var groupCommitMax: Int
    /// broker.max_frame_bytes
    public var maxFrameBytes: Int
    /// broker.slot_inflight_max: the broker dispatches at most this many requests to a slot,
    /// so its receive queue is bounded a little above it.
    public var slotInflightMax: Int
    /// lua.*, osd.classes_dir
    public var scripting: ScriptingConfig
    /// lua.log_bytes_per_second: script log bytes the process writes per second, all slots
    /// together (0: no rate limit).
    public var logBytesPerSecond: Int
    /// limits.*, osd.dedup_*: what every shard this worker opens is tuned with.
    public var shard: ShardOptions
    /// imaging.*
    public var imaging: ImagingSettings
    /// security.curve_server_public_key and this worker's pair (empty: plain TCP).
    public var curve: CurveClientSettings

    /// Fault injection for the watchdog's tests (environment SEPIA_OSD_FAULT_WEDGE_HANDLER):
    /// a request calling this Lua handler holds its thread for ever, as a stuck C call would.
    public var faultWedgeHandler: String? = nil

    /// The documented defaults.
    public init() { self.init(config: SepiaConfig()) }

    public var resolvedThreads: Int {
        threads > 0 ? threads : max(1, ProcessInfoShim.activeCores)
    }

    public struct ImagingSettings: Sendable, Equatable {
        /// imaging.max_pixels: largest image (all frames, from the header) decoded.
        public var maxPixels: Int
        /// imaging.policy_dir; nil: the shipped config/imagemagick.
        public var policyDirectory: String?
        /// imaging.max_decode_bytes: most pixel memory one decode or resize may take
        /// (estimated from the header).
        public var maxDecodeBytes: Int
    }

    public struct CurveClientSettings: Sendable, Equatable {
        public var serverPublicKey = ""
        public var publicKey = ""
        public var secretKey = ""
    }
}
