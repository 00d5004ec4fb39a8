// `sepia cluster up|down`: a local broker and N workers on loopback.
import ArgumentParser
import Client
import Codec
import Config
import Foundation
import Spawn

struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start or stop a local cluster (a broker and N workers on 127.0.0.1).",
        subcommands: [Up.self, Down.self])

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a broker and N workers; supervise them until Ctrl-C.",
            discussion: """
            In the foreground, a crashed worker is restarted and Ctrl-C stops everything
            cleanly. With --detach it runs in the background; stop it with `sepia cluster down`.

            Examples:
              sepia cluster up --workers 2
              sepia cluster up --workers 4 --data /var/lib/sepia --detach
            """)

        @Option(name: .long, help: "Number of worker processes.")
        var workers = 2
        @Option(name: .long, help: "Worker threads per process (0: one per core).")
        var threads = 0
        @Option(name: .long, help: "Data folder (shards live under DIR/shards).")
        var data = "./sepia-data"
        @Option(name: .long, help: "Configuration file passed to the broker and workers.")
        var config: String?
        @Option(name: .long, help: "Folder of Lua classes (*.lua) the workers load.")
        var classes: String?
        @Option(name: .long, help: "Client endpoint to bind (loopback only).")
        var clientEndpoint = LocalCluster.fallbackClientEndpoint
        @Option(name: .long, help: "Worker endpoint to bind (loopback only).")
        var workerEndpoint = LocalCluster.fallbackWorkerEndpoint
        @Flag(name: .long, help: "Run in the background (state in $SEPIA_HOME or ~/.sepia).")
        var detach = false

        func validate() throws {
            guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
            for e in [clientEndpoint, workerEndpoint] where !e.hasPrefix("tcp://127.") && !e.hasPrefix("ipc://") {
                throw ValidationError("a local cluster binds loopback only; \(e) is not tcp://127.x.x.x")
            }
        }

        func run() async throws {
            if let existing = LocalCluster.read() {
                throw CommandFailure("cluster up", CLIError.failed("a local cluster is already running (pid \(existing.pid), \(existing.clientEndpoint)); run `sepia cluster down` first"))
            }
            if detach { return try await runDetached() }
            var o = Supervisor.Options()
            o.workers = workers
            o.threadsPerWorker = threads
            o.dataRoot = URL(fileURLWithPath: data).standardizedFileURL.path
            o.configFile = config
            o.clientEndpoint = clientEndpoint
            o.workerEndpoint = workerEndpoint
            o.classesDirectory = classes ?? Self.defaultClasses()
            let curve: CurveClientKeys?
            do {
                curve = CurveClientKeys(config: try SepiaConfig.load(file: config, environment: ProcessInfo.processInfo.environment,
                                                                     overrides: [:]))
            } catch {
                throw CommandFailure("cluster up", CLIError.usage("\(error)"))
            }
            let supervisor = Supervisor(options: o)
            do { try supervisor.start() } catch { throw CommandFailure("cluster up", error) }
            do {
                try await ClusterReadiness.wait(endpoint: supervisor.clientEndpoint, curve: curve, timeout: .seconds(30))
            } catch {
                supervisor.stop()
                throw CommandFailure("cluster up", error)
            }
            // Written once every shard is served: `--detach` returns when this file appears.
            try LocalCluster.write(ClusterState(pid: getpid(), clientEndpoint: supervisor.clientEndpoint,
                                                workerEndpoint: supervisor.workerEndpoint, dataRoot: o.dataRoot,
                                                workers: workers, log: nil))
            print("sepia cluster: up — broker \(supervisor.clientEndpoint), \(workers) worker\(workers == 1 ? "" : "s"), data \(o.dataRoot)")
            print("sepia cluster: Ctrl-C to stop")
            await SignalWaiter.waitForTermination()
            print("sepia cluster: stopping")
            supervisor.stop()
            LocalCluster.remove()
            print("sepia cluster: stopped")
        }

        /// Re-runs this command in the background and returns once the cluster serves.
        private func runDetached() async throws {
            let dataPath = URL(fileURLWithPath: data).standardizedFileURL.path
            try FileManager.default.createDirectory(atPath: dataPath, withIntermediateDirectories: true)
            let logPath = dataPath + "/cluster.log"
            guard FileManager.default.createFile(atPath: logPath, contents: nil),
                  let log = FileHandle(forWritingAtPath: logPath) else {
                throw CommandFailure("cluster up", CLIError.failed("cannot write \(logPath)"))
            }
            var args = ["cluster", "up", "--workers", String(workers), "--threads", String(threads), "--data", dataPath,
                        "--client-endpoint", clientEndpoint, "--worker-endpoint", workerEndpoint]
            if let config { args += ["--config", config] }
            if let classes { args += ["--classes", classes] }
            let p = try Child(LocalCluster.binary("sepia").path, args, stdin: .null, stdout: .file(log), stderr: .file(log),
                              detached: true)
            // Wait for the child to write its state file and serve.
            let deadline = ContinuousClock.now + .seconds(40)
            while ContinuousClock.now < deadline {
                if let state = LocalCluster.read(), state.pid == p.processIdentifier {
                    print("sepia cluster: up in the background (pid \(state.pid)) — broker \(state.clientEndpoint), \(workers) worker\(workers == 1 ? "" : "s"), log \(logPath)")
                    return
                }
                if !p.isRunning {
                    throw CommandFailure("cluster up", CLIError.failed("the cluster did not start; see \(logPath)"))
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            p.terminate()
            throw CommandFailure("cluster up", CLIError.failed("the cluster did not become ready in 40 s; see \(logPath)"))
        }

        static func defaultClasses() -> String? {
            // The repository's classes/ when run from a checkout or a build folder inside it.
            var dir = LocalCluster.binDirectory
            for _ in 0..<5 {
                let candidate = dir.appendingPathComponent("classes")
                if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
                dir = dir.deletingLastPathComponent()
            }
            let cwd = FileManager.default.currentDirectoryPath + "/classes"
            return FileManager.default.fileExists(atPath: cwd) ? cwd : nil
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the local cluster started with --detach.")

        func run() async throws {
            guard let state = LocalCluster.read() else {
                print("sepia cluster: no local cluster is running")
                return
            }
            kill(state.pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(30)
            while kill(state.pid, 0) == 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            if kill(state.pid, 0) == 0 {
                throw CommandFailure("cluster down", CLIError.failed("pid \(state.pid) did not stop in 30 s"))
            }
            LocalCluster.remove()
            print("sepia cluster: stopped (pid \(state.pid))")
        }
    }
}

/// Blocks until SIGINT or SIGTERM.
enum SignalWaiter {
    static func waitForTermination() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = OnceFlag()
            var sources: [DispatchSourceSignal] = []
            for sig in [SIGINT, SIGTERM] {
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler {
                    if once.claim() { continuation.resume() }
                }
                source.resume()
                sources.append(source)
            }
            SignalSources.keep(sources)
        }
    }
}

/// Keeps signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) private static var kept: [DispatchSourceSignal] = []
    static func keep(_ sources: [DispatchSourceSignal]) { kept += sources }
}

final class OnceFlag: @unchecked Sendable {
    // @unchecked Sendable: the one field is guarded by the lock.
    private let lock = NSLock()
    private var done = false
    func claim() -> Bool { lock.withLock { if done { return false }; done = true; return true } }
}

/// Waits until the broker answers status and every shard has an owner.
enum ClusterReadiness {
    /// `log`: where the processes write; its last error lines are quoted on failure.
    /// `curve`: the client keys of the configuration the cluster was started with; a CURVE
    /// broker never answers a plaintext client.
    static func wait(endpoint: String, curve: CurveClientKeys? = nil, timeout: Duration, log: String? = nil) async throws {
        var options = ClientOptions(endpoint: endpoint)
        options.timeout = .seconds(1)
        options.retries = 0
        options.curve = curve
        let client = try SepiaClient(options: options)
        defer { client.close() }
        let deadline = ContinuousClock.now + timeout
        var last = "no answer from the broker"
        while ContinuousClock.now < deadline {
            if let body = try? await client.status(timeout: .seconds(1)),
               let status = try? JSONDecoder().decode(BrokerStatus.self, from: Data(body)) {
                let (workers, serving, total) = ClusterReadiness.count(status)
                if workers > 0 && serving == total { return }
                last = "\(workers) worker slots registered, \(serving) of \(total) shards serving"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        var detail = ""
        if let log, let text = try? String(contentsOfFile: log, encoding: .utf8) {
            let problems = text.split(separator: "\n").filter { $0.contains("critical") || $0.contains("error") }.suffix(3)
            if !problems.isEmpty { detail = "; from \(log):\n  " + problems.joined(separator: "\n  ") }
        }
        throw CLIError.failed("the cluster was not ready in time: \(last)\(detail)")
    }

    /// Worker slots, shards served (opened, not moving) and the shard count.
    static func count(_ status: BrokerStatus) -> (workers: Int, serving: Int, total: Int) {
        let serving = status.workers.reduce(0) { $0 + $1.shards.count }
        let moving = status.workers.reduce(0) { $0 + $1.movingShards.count }
        return (status.workers.count, moving == 0 ? serving : -1, status.shardCount)
    }
}
