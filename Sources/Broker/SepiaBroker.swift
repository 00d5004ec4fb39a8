// sepia-broker: one per cluster. Routes every client request to the worker slot that owns the
// object's shard (docs/cluster.md).
import ArgumentParser
import BrokerCore
import Daemon
import Foundation
import Logging

@main
struct SepiaBroker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sepia-broker",
        abstract: "The Sepia broker: routes requests to the worker that owns each object's shard.")

    @Option(help: "Client ROUTER endpoint (default tcp://127.0.0.1:7700; a '*' port is resolved and printed).")
    var clientEndpoint: String?

    @Option(help: "Worker ROUTER endpoint (default tcp://127.0.0.1:7701).")
    var workerEndpoint: String?

    @Option(help: "Shard count; fixed when the cluster is created (default 64).")
    var shards: Int?

    @Option(help: "Configuration file (YAML); flags override it.")
    var config: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Flag(help: "Stop when the process that started this one exits (supervisors and tests use it, so a killed supervisor leaves no broker behind).")
    var exitWithParent = false

    func validate() throws {
        if let shards, !(1...65_536).contains(shards) {
            throw ValidationError("--shards must be between 1 and 65536")
        }
    }

    func run() throws {
        Daemon.bootstrapLogging(level: logLevel)
        let logger = Logger(label: "sepia-broker")
        var settings: BrokerSettings
        do {
            settings = try BrokerSettings.load(configFile: config)
        } catch {
            throw ValidationError("\(error)")
        }
        if let clientEndpoint { settings.clientEndpoint = clientEndpoint }
        if let workerEndpoint { settings.workerEndpoint = workerEndpoint }
        if let shards { settings.routing.shardCount = shards }

        let lifetime = DaemonLifetime(exitWithParent: exitWithParent) { reason in
            logger.info("\(reason): stopping")
        }
        let service = BrokerService(settings: settings, codec: MessageWireCodec(maxFrameBytes: settings.maxFrameBytes), logger: logger)
        try service.start()
        // Supervisors and tests read the resolved ports from this line.
        // Written straight to the descriptor: stdout may be a pipe, where print() would buffer it.
        FileHandle.standardOutput.write(Data(
            "sepia-broker: listening client=\(service.clientEndpoint) worker=\(service.workerEndpoint)\n".utf8))
        lifetime.wait()
        service.stop()
    }
}
