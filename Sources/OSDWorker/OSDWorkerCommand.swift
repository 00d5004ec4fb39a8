// sepia-osd: an object storage daemon. Connects to the broker, owns the shards it is given,
// runs requests on them. SIGTERM/SIGINT: finish what is in flight, close shards, say goodbye.
import ArgumentParser
import Config
import Daemon
import Foundation
import Logging
import OSDCore

@main
struct OSDWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sepia-osd",
        abstract: "A Sepia worker: owns shards, stores objects in LevelDB, runs Lua handlers.",
        discussion: """
        Workers on other hosts join with --broker tcp://HOST:PORT and must see the same data
        root (see docs/cluster.md).

        Example:
          sepia-osd --broker tcp://127.0.0.1:7701 --data ./sepia-data --threads 2
        """)

    @Option(name: .long, help: "The broker's worker endpoint (overrides broker.worker_endpoint).")
    var broker: String?
    @Option(name: .long, help: "Data root; shards live under DATA/shards (overrides cluster.data_root).")
    var data: String?
    @Option(name: .long, help: "Worker threads, 0 = one per core (overrides osd.threads).")
    var threads: Int?
    @Option(name: .long, help: "Folder of Lua classes (overrides osd.classes_dir).")
    var classes: String?
    @Option(name: .long, help: "Configuration file (default: SEPIA_CONFIG, else built-in defaults).")
    var config: String?
    @Option(name: .long, help: "Name of this worker (default: host-pid).")
    var name: String?
    @Flag(name: .long, help: "Stop when the process that started this one exits (supervisors and tests use it, so a killed supervisor leaves no worker behind).")
    var exitWithParent = false
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() throws {
        var overrides: [String: String] = [:]
        if let broker { overrides["broker.worker_endpoint"] = broker }
        if let data { overrides["cluster.data_root"] = data }
        if let threads { overrides["osd.threads"] = String(threads) }
        if let classes { overrides["osd.classes_dir"] = classes }
        let loaded: SepiaConfig
        do {
            loaded = try SepiaConfig.load(file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            Daemon.complain("sepia-osd", "\(error)")
            throw ExitCode(2)
        }
        Daemon.bootstrapLogging(level: logLevel)
        let logger = Logger(label: "sepia-osd")

        var settings = OSDSettings(config: loaded, name: name)
        settings.faultWedgeHandler = ProcessInfo.processInfo.environment["SEPIA_OSD_FAULT_WEDGE_HANDLER"]
        if let problem = settings.curveKeyProblem {
            Daemon.complain("sepia-osd", problem)
            throw ExitCode(2)
        }
        let service = OSDService(settings: settings, logger: logger)
        let lifetime = DaemonLifetime(exitWithParent: exitWithParent) { reason in
            logger.info("\(reason): stopping after in-flight work")
            service.stop()
        }
        do {
            try service.run()
        } catch {
            logger.critical("cannot run: \(error)")
            throw ExitCode(1)
        }
        withExtendedLifetime(lifetime) {}
    }
}
