// Starts a broker and N workers on loopback, restarts crashed workers, stops all cleanly.
// Used by `sepia cluster up` and by `sepia bench --workers N`.
import Foundation
import Spawn
import Synchronization

final class Supervisor: @unchecked Sendable {
    // @unchecked Sendable: `children` and `stopping` are guarded by `lock`; exit handlers
    // run on each child's own reaper thread and only take the lock.

    struct Options {
        var workers = 1
        var threadsPerWorker = 0
        var dataRoot = "./sepia-data"
        var configFile: String?
        var clientEndpoint = LocalCluster.fallbackClientEndpoint
        var workerEndpoint = LocalCluster.fallbackWorkerEndpoint
        var classesDirectory: String?
        var shards: Int?
        /// Where children's stderr goes (nil: inherit).
        var logFile: String?
        var quiet = false
    }

    let options: Options
    private let lock = NSLock()
    private var broker: Child?
    private var workers: [Int: Child] = [:]
    private var stopping = false
    private(set) var clientEndpoint = ""
    private(set) var workerEndpoint = ""
    private var logHandle: FileHandle?
    private var restarts = 0

    init(options: Options) { self.options = options }

    /// Starts the broker and the workers; returns once the broker listens.
    func start() throws {
        try FileManager.default.createDirectory(atPath: options.dataRoot, withIntermediateDirectories: true)
        if let logFile = options.logFile {
            guard FileManager.default.createFile(atPath: logFile, contents: nil) else {
                throw CLIError.failed("cannot write \(logFile)")
            }
            logHandle = FileHandle(forWritingAtPath: logFile)
            logHandle?.seekToEndOfFile()
        }
        try startBroker()
        for i in 0..<options.workers { try startWorker(i) }
    }

    /// `endpoints`: where to bind. A restarted broker binds the ports its predecessor had bound,
    /// not the configured ones: with a wildcard port (`tcp://127.0.0.1:*`) it would otherwise
    /// get a new port that the workers and clients never learn.
    private func startBroker(endpoints: (client: String, worker: String)? = nil) throws {
        let bind = endpoints ?? (options.clientEndpoint, options.workerEndpoint)
        var args = ["--client-endpoint", bind.client, "--worker-endpoint", bind.worker, "--exit-with-parent"]
        if let c = options.configFile { args += ["--config", c] }
        if let s = options.shards { args += ["--shards", String(s)] }
        let p: Child
        do {
            p = try Child(LocalCluster.binary("sepia-broker").path, args, stdout: .pipe,
                          stderr: logHandle.map { .file($0) } ?? .inherit,
                          onExit: { [weak self] proc in self?.brokerExited(proc) })
        } catch {
            throw CLIError.failed("\(error)")
        }
        lock.withLock { broker = p }
        // The broker prints `sepia-broker: listening client=E worker=E` once bound.
        let line = try readLine(from: p.standardOutput!, prefix: "sepia-broker: listening", timeout: 10)
        for part in line.split(separator: " ") {
            if part.hasPrefix("client=") { clientEndpoint = String(part.dropFirst(7)) }
            if part.hasPrefix("worker=") { workerEndpoint = String(part.dropFirst(7)) }
        }
        // Keep draining stdout so the broker never blocks on a full pipe.
        let handle = p.standardOutput!
        Thread.detachNewThread { while !handle.availableData.isEmpty {} }
    }

    private func startWorker(_ index: Int) throws {
        var args = ["--broker", workerEndpoint, "--data", options.dataRoot, "--exit-with-parent"]
        if options.threadsPerWorker > 0 { args += ["--threads", String(options.threadsPerWorker)] }
        if let c = options.configFile { args += ["--config", c] }
        if let d = options.classesDirectory { args += ["--classes", d] }
        let log: Child.Stream = logHandle.map { .file($0) } ?? .inherit
        let p = try Child(LocalCluster.binary("sepia-osd").path, args, stdout: log, stderr: log,
                          onExit: { [weak self] proc in self?.workerExited(index, proc) })
        let stoppedMeanwhile = lock.withLock { () -> Bool in
            workers[index] = p
            return stopping
        }
        if stoppedMeanwhile { p.terminate() }  // stop() ran while this one started
    }

    private func brokerExited(_ p: Child) {
        let stopping = lock.withLock { self.stopping }
        if !stopping {
            say("broker exited (status \(p.terminationStatus)); restarting on \(clientEndpoint) and \(workerEndpoint)")
            do {
                try startBroker(endpoints: (clientEndpoint, workerEndpoint))
            } catch {
                say("broker restart failed: \(error)")
            }
        }
    }

    private func workerExited(_ index: Int, _ p: Child) {
        let (stopping, count) = lock.withLock { () -> (Bool, Int) in
            restarts += 1
            return (self.stopping, restarts)
        }
        guard !stopping else { return }
        say("worker \(index) (pid \(p.processIdentifier)) exited (\(p.terminationReason == .uncaughtSignal ? "signal" : "status") \(p.terminationStatus)); restarting")
        // Back off a little when workers crash in a loop.
        if count > 3 { Thread.sleep(forTimeInterval: min(2, 0.1 * Double(count))) }
        // stop() may have begun during the back-off: then no new worker.
        guard !lock.withLock({ self.stopping }) else { return }
        try? startWorker(index)
    }

    var workerPIDs: [Int32] { lock.withLock { workers.sorted { $0.key < $1.key }.map { $0.value.processIdentifier } } }
    var brokerPID: Int32? { lock.withLock { broker?.processIdentifier } }

    /// SIGTERM to the workers (they finish in-flight work and say goodbye), then the broker.
    func stop(timeout: TimeInterval = 15) {
        let (ws, b) = lock.withLock { () -> ([Child], Child?) in
            stopping = true
            return (Array(workers.values), broker)
        }
        for w in ws { w.terminate() }
        let deadline = Date().addingTimeInterval(timeout)
        for w in ws where !w.wait(seconds: max(0, deadline.timeIntervalSinceNow)) {
            w.signal(SIGKILL)
            w.waitUntilExit()
        }
        b?.stop(grace: 5)
    }

    private func say(_ text: String) {
        guard !options.quiet else { return }
        FileHandle.standardError.write(Data("sepia cluster: \(text)\n".utf8))
    }

    private func readLine(from handle: FileHandle, prefix: String, timeout: TimeInterval) throws -> String {
        let found = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let nl = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...nl)
                    if line.hasPrefix(prefix) {
                        found.withLock { $0 = line }
                        done.signal()
                        return
                    }
                }
            }
            done.signal()
        }
        _ = done.wait(timeout: .now() + timeout)
        guard let line = found.withLock({ $0 }) else {
            throw CLIError.failed("the broker did not start (see \(options.logFile ?? "stderr")); is the port in use?")
        }
        return line
    }
}
