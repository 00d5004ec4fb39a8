// Maps the configuration file's sections onto a worker's settings: the one place a worker
// reads SepiaConfig.
import Codec
import Config
import Scripting
import Storage
import ZeroMQ

extension OSDSettings {
    public init(config c: SepiaConfig, name: String? = nil) {
        brokerEndpoint = c.broker.workerEndpoint
        dataRoot = c.cluster.dataRoot
        threads = c.osd.threads
        self.name = name ?? ""
        defaultDurability = Durability(rawValue: c.osd.durability) ?? .sync
        heartbeatIntervalMillis = c.broker.heartbeatIntervalMs
        heartbeatLiveness = c.broker.heartbeatLiveness
        groupCommitMax = c.osd.groupCommitMax
        maxFrameBytes = c.broker.maxFrameBytes
        slotInflightMax = c.broker.slotInflightMax
        scripting = ScriptingConfig(config: c)
        logBytesPerSecond = c.lua.logBytesPerSecond
        shard = ShardOptions(config: c)
        imaging = ImagingSettings(maxPixels: c.imaging.maxPixels,
                                  policyDirectory: c.imaging.policyDir.isEmpty ? nil : c.imaging.policyDir,
                                  maxDecodeBytes: c.imaging.maxDecodeBytes)
        curve = CurveClientSettings(serverPublicKey: c.security.curveServerPublicKey)
        // A worker presents its own pair, never the client one, so a shared file cannot let a
        // client key register as a worker. No pair configured: one fresh pair per process.
        curve.publicKey = c.security.workerPublicKey
        curve.secretKey = c.security.workerSecretKey
        if !curve.serverPublicKey.isEmpty && curve.publicKey.isEmpty, let pair = try? Curve.keyPair() {
            curve.publicKey = pair.publicKey
            curve.secretKey = pair.secretKey
        }
    }

    /// What is wrong with the CURVE keys, if anything. A bad key would otherwise fail every
    /// connection attempt, over and over.
    public var curveKeyProblem: String? {
        guard !curve.serverPublicKey.isEmpty else { return nil }
        guard Curve.isAvailable else { return "CURVE is configured but this libzmq was built without it" }
        guard Curve.isKey(curve.serverPublicKey) else {
            return "security.curve_server_public_key is not a 40-character Z85 key"
        }
        guard Curve.isKey(curve.secretKey), (try? Curve.publicKey(ofSecret: curve.secretKey)) == curve.publicKey else {
            return "security.worker_public_key / worker_secret_key are not a key pair from `sepia keygen`"
        }
        return nil
    }
}

extension ScriptingConfig {
    /// lua.* and osd.classes_dir.
    public init(config c: SepiaConfig) {
        self.init(instructionLimit: UInt64(c.lua.instructionLimit), timeLimitMillis: UInt64(c.lua.timeLimitMs),
                  memoryLimitBytes: UInt64(c.lua.memoryLimitBytes), outputLimitBytes: UInt64(c.lua.outputLimitBytes),
                  scriptCacheEntries: c.lua.scriptCacheEntries, maxScriptBytes: c.lua.maxScriptBytes,
                  classesDirectory: c.osd.classesDir)
    }
}

extension ShardOptions {
    /// limits.* and osd.dedup_*.
    public init(config c: SepiaConfig) {
        self.init()
        maxObjectBytes = UInt64(c.limits.maxObjectBytes)
        maxXattrBytes = c.limits.maxXattrBytes
        maxOmapEntriesPerRequest = c.limits.maxOmapEntriesPerRequest
        maxOmapBytesPerRequest = c.limits.maxOmapBytesPerRequest
        maxRecords = c.osd.dedupMaxEntries
        recordRetentionSeconds = UInt64(c.osd.dedupMaxAgeSeconds)
    }
}
