// Where the configuration (file, SEPIA_* environment) meets the broker's settings.
import ArgumentParser
import BrokerCore
import Config
import Foundation
import Routing

extension BrokerSettings {
    /// Defaults, overlaid with the configuration file (when given or named by SEPIA_CONFIG) and
    /// the SEPIA_<SECTION>_<KEY> environment.
    static func load(configFile: String?) throws -> BrokerSettings {
        let c: SepiaConfig
        do {
            c = try SepiaConfig.load(file: configFile, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("\(error)")
        }
        var s = BrokerSettings(clientEndpoint: c.broker.clientEndpoint, workerEndpoint: c.broker.workerEndpoint,
                               maxFrameBytes: c.broker.maxFrameBytes)
        s.routing.shardCount = c.cluster.shardCount
        s.routing.heartbeatIntervalMillis = UInt64(c.broker.heartbeatIntervalMs)
        s.routing.heartbeatLiveness = UInt64(c.broker.heartbeatLiveness)
        s.routing.shardQueueMax = c.broker.shardQueueMax
        s.routing.clientInflightMax = c.broker.clientInflightMax
        // A worker thread running a script cannot heartbeat until the script ends.
        s.routing.busyGraceMillis = UInt64(c.lua.timeLimitMs)
        if !c.security.curveServerSecretKey.isEmpty {
            s.curve = CurveServerSettings(
                secretKey: c.security.curveServerSecretKey,
                clientKeys: c.security.allowedClientKeys.isEmpty ? nil : Set(c.security.allowedClientKeys),
                workerKeys: c.security.allowedWorkerKeys.isEmpty ? nil : Set(c.security.allowedWorkerKeys))
        }
        return s
    }
}
