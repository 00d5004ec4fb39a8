// Maps the configuration file's sections onto a worker's settings.
import Codec
import Config
import ZeroMQ

extension OSDSettings {
    public init(config c: SepiaConfig, name: String? = nil) {
        self.init()
        brokerEndpoint = c.broker.workerEndpoint
        dataRoot = c.cluster.dataRoot
        threads = c.osd.threads
        self.name = name ?? ""
        defaultDurability = Durability(rawValue: c.osd.durability) ?? .sync
        heartbeatIntervalMillis = c.broker.heartbeatIntervalMs
        heartbeatLiveness = c.broker.heartbeatLiveness
        groupCommitMax = c.osd.groupCommitMax
        dedupMaxEntries = c.osd.dedupMaxEntries
        dedupMaxAgeSeconds = c.osd.dedupMaxAgeSeconds
        maxFrameBytes = c.broker.maxFrameBytes
        maxObjectBytes = UInt64(c.limits.maxObjectBytes)
        maxXattrBytes = c.limits.maxXattrBytes
        maxOmapEntriesPerRequest = c.limits.maxOmapEntriesPerRequest
        maxOmapBytesPerRequest = c.limits.maxOmapBytesPerRequest
        classesDirectory = c.osd.classesDir
        instructionLimit = UInt64(c.lua.instructionLimit)
        timeLimitMillis = UInt64(c.lua.timeLimitMs)
        memoryLimitBytes = UInt64(c.lua.memoryLimitBytes)
        outputLimitBytes = UInt64(c.lua.outputLimitBytes)
        scriptCacheEntries = c.lua.scriptCacheEntries
        maxScriptBytes = c.lua.maxScriptBytes
        maxPixels = c.imaging.maxPixels
        maxDecodeBytes = c.imaging.maxDecodeBytes
        logBytesPerSecond = c.lua.logBytesPerSecond
        imagePolicyDirectory = c.imaging.policyDir.isEmpty ? nil : c.imaging.policyDir
        curveServerPublicKey = c.security.curveServerPublicKey
        // A worker presents its own pair, never the client one, so a shared file cannot let a
        // client key register as a worker. No pair configured: one fresh pair per process.
        curvePublicKey = c.security.workerPublicKey
        curveSecretKey = c.security.workerSecretKey
        if !curveServerPublicKey.isEmpty && curvePublicKey.isEmpty, let pair = try? Curve.keyPair() {
            curvePublicKey = pair.publicKey
            curveSecretKey = pair.secretKey
        }
    }
}

extension OSDSettings {
    /// What is wrong with the CURVE keys, if anything. A bad key would otherwise fail every
    /// connection attempt, over and over.
    public var curveKeyProblem: String? {
        guard !curveServerPublicKey.isEmpty else { return nil }
        guard Curve.isAvailable else { return "CURVE is configured but this libzmq was built without it" }
        guard Curve.isKey(curveServerPublicKey) else {
            return "security.curve_server_public_key is not a 40-character Z85 key"
        }
        guard Curve.isKey(curveSecretKey), (try? Curve.publicKey(ofSecret: curveSecretKey)) == curvePublicKey else {
            return "security.worker_public_key / worker_secret_key are not a key pair from `sepia keygen`"
        }
        return nil
    }
}
