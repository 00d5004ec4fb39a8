// Where the configuration (file, SEPIA_* environment) meets the broker's settings: the one
// place the broker reads SepiaConfig.
import Config
import Foundation
import Routing
import ZeroMQ

/// A configuration the broker refuses to start with.
public struct BrokerSettingsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension BrokerSettings {
    /// The documented defaults (config/sepia.yaml).
    public init() {
        // Only CURVE key checks can refuse a configuration, and the defaults configure no keys.
        self = try! BrokerSettings(config: SepiaConfig())
    }

    /// Defaults, overlaid with the configuration file (when given or named by SEPIA_CONFIG) and
    /// the SEPIA_<SECTION>_<KEY> environment.
    public static func load(configFile: String?) throws -> BrokerSettings {
        let c: SepiaConfig
        do {
            c = try SepiaConfig.load(file: configFile, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw BrokerSettingsError("\(error)")
        }
        return try BrokerSettings(config: c)
    }

    public init(config c: SepiaConfig) throws(BrokerSettingsError) {
        var s = BrokerSettings(clientEndpoint: c.broker.clientEndpoint, workerEndpoint: c.broker.workerEndpoint,
                               maxFrameBytes: c.broker.maxFrameBytes)
        s.routing.shardCount = c.cluster.shardCount
        s.routing.heartbeatIntervalMillis = UInt64(c.broker.heartbeatIntervalMs)
        s.routing.heartbeatLiveness = UInt64(c.broker.heartbeatLiveness)
        s.routing.shardQueueMax = c.broker.shardQueueMax
        s.routing.clientInflightMax = c.broker.clientInflightMax
        s.routing.slotInflightMax = c.broker.slotInflightMax
        s.routing.slotQueueMax = c.broker.slotQueueMax
        s.clientReplyBytesMax = Int64(c.broker.clientReplyBytesMax)
        s.replyBytesMax = Int64(c.broker.replyBytesMax)
        // A worker thread running a script cannot heartbeat until the script ends.
        s.routing.busyGraceMillis = UInt64(c.lua.timeLimitMs)
        try Self.checkKeys(c.security)
        if !c.security.curveServerSecretKey.isEmpty {
            s.curve = CurveServerSettings(
                secretKey: c.security.curveServerSecretKey,
                clientKeys: c.security.allowedClientKeys.isEmpty ? nil : Set(c.security.allowedClientKeys),
                workerKeys: c.security.allowedWorkerKeys.isEmpty ? nil : Set(c.security.allowedWorkerKeys))
        }
        self = s
    }

    /// A mistyped key would fail every handshake, or silently leave the broker open: refuse
    /// to start instead.
    static func checkKeys(_ security: SepiaConfig.Security) throws(BrokerSettingsError) {
        let secret = security.curveServerSecretKey
        guard !secret.isEmpty else {
            if !security.allowedClientKeys.isEmpty || !security.allowedWorkerKeys.isEmpty {
                throw BrokerSettingsError("security.allowed_*_keys are set but security.curve_server_secret_key is empty: CURVE would be off and nothing checked")
            }
            return
        }
        guard Curve.isAvailable else { throw BrokerSettingsError("CURVE is configured but this libzmq was built without it") }
        guard Curve.isKey(secret), let derived = try? Curve.publicKey(ofSecret: secret) else {
            throw BrokerSettingsError("security.curve_server_secret_key is not a 40-character Z85 key (make one with `sepia keygen`)")
        }
        let configured = security.curveServerPublicKey
        if !configured.isEmpty && configured != derived {
            throw BrokerSettingsError("security.curve_server_public_key does not belong to curve_server_secret_key (its public key is \(derived))")
        }
        for (name, keys) in [("allowed_client_keys", security.allowedClientKeys), ("allowed_worker_keys", security.allowedWorkerKeys)] {
            if let bad = keys.first(where: { !Curve.isKey($0) }) {
                throw BrokerSettingsError("security.\(name): '\(bad)' is not a 40-character Z85 public key")
            }
        }
    }
}
