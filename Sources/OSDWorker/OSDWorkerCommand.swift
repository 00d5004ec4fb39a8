// sepia-osd: an object storage daemon. Connects to the broker, owns the shards it is given,
// runs requests on them. SIGTERM/SIGINT: finish what is in flight, close shards, say goodbye.
import ArgumentParser
import Config
import Dispatch
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
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

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
            FileHandle.standardError.write(Data("sepia-osd: \(error)\n".utf8))
            throw ExitCode(2)
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "sepia-osd")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        var settings = OSDSettings(config: loaded, name: name)
        settings.faultWedgeHandler = ProcessInfo.processInfo.environment["SEPIA_OSD_FAULT_WEDGE_HANDLER"]
        if let problem = settings.curveKeyProblem {
            FileHandle.standardError.write(Data("sepia-osd: \(problem)\n".utf8))
            throw ExitCode(2)
        }
        let service = OSDService(settings: settings, logger: logger)
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                logger.info("signal \(sig): stopping after in-flight work")
                service.stop()
            }
            source.resume()
            sources.append(source)
        }
        var watchdog: DispatchSourceTimer?
        if exitWithParent {
            let parent = getppid()
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
            timer.setEventHandler {
                // Reparented (or started after the parent was already gone: ppid 1).
                if getppid() != parent || parent == 1 {
                    logger.warning("the process that started this worker is gone: stopping")
                    service.stop()
                }
            }
            timer.resume()
            watchdog = timer
        }
        defer { watchdog?.cancel() }
        do {
            try service.run()
        } catch {
            logger.critical("cannot run: \(error)")
            throw ExitCode(1)
        }
        withExtendedLifetime(sources) {}
    }
}
