// Starts the real sepia-broker and sepia-osd binaries on ephemeral loopback ports with a
// temp data dir, waits until every shard has an owner, and stops them. No mocks.
import Client
import Codec
import Foundation
import Spawn
import Testing

final class ClusterHarness: @unchecked Sendable {
    // @unchecked Sendable: mutable state (`workers`) is touched under `lock` only.

    let dataRoot: URL
    let classesDir: String
    private(set) var clientEndpoint = ""
    private(set) var workerEndpoint = ""
    private var broker: Child?
    private var workers: [Child] = []
    private let lock = NSLock()
    let logFile: URL
    private let logHandle: FileHandle
    let shards: Int
    let extraEnvironment: [String: String]

    static var binDir: URL {
        // Another build's binaries (before/after measurements): SEPIA_TEST_BIN_DIR.
        if let dir = ProcessInfo.processInfo.environment["SEPIA_TEST_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("sepia-osd").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        // Fall back to the package's debug build folder.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug")
    }

    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `dataRoot`: an existing folder to keep the shards in (a small tmpfs, say); by default a
    /// fresh temp folder.
    init(workers: Int = 1, threads: Int = 1, shards: Int = 16, classes: String? = nil,
         environment: [String: String] = [:], dataRoot root: URL? = nil) throws {
        dataRoot = root ?? FileManager.default.temporaryDirectory.appendingPathComponent("sepia-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataRoot, withIntermediateDirectories: true)
        classesDir = classes ?? Self.repoRoot.appendingPathComponent("classes").path
        // Outside a given data root: a full disk there must not silence the log.
        logFile = root == nil ? dataRoot.appendingPathComponent("cluster.log")
            : FileManager.default.temporaryDirectory.appendingPathComponent("sepia-it-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        logHandle = FileHandle(forWritingAtPath: logFile.path)!
        self.shards = shards
        extraEnvironment = environment
        try startBroker()
        for _ in 0..<workers { try addWorker(threads: threads) }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: dataRoot)
        try? FileManager.default.removeItem(at: logFile)
    }

    /// The process environment, then the harness's, then `overrides` (one process's own).
    private func environment(_ overrides: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["SEPIA_BROKER_HEARTBEAT_INTERVAL_MS"] = env["SEPIA_BROKER_HEARTBEAT_INTERVAL_MS"] ?? "100"
        // The broker gives a busy slot this much extra silence: keep failover quick in tests.
        env["SEPIA_LUA_TIME_LIMIT_MS"] = env["SEPIA_LUA_TIME_LIMIT_MS"] ?? "1000"
        for (k, v) in extraEnvironment { env[k] = v }
        for (k, v) in overrides { env[k] = v }
        return env
    }

    func startBroker(clientEndpoint: String = "tcp://127.0.0.1:*", workerEndpoint: String = "tcp://127.0.0.1:*") throws {
        let p = try Child(Self.binDir.appendingPathComponent("sepia-broker").path,
                          ["--client-endpoint", clientEndpoint, "--worker-endpoint", workerEndpoint, "--shards", String(shards), "--exit-with-parent"],
                          environment: environment(), stdout: .pipe, stderr: .file(logHandle))
        broker = p
        let line = try Self.readLine(p.standardOutput!, prefix: "sepia-broker: listening", timeout: .seconds(20))
        for part in line.split(separator: " ") {
            if part.hasPrefix("client=") { self.clientEndpoint = String(part.dropFirst(7)) }
            if part.hasPrefix("worker=") { self.workerEndpoint = String(part.dropFirst(7)) }
        }
    }

    @discardableResult
    func addWorker(threads: Int = 1, environment overrides: [String: String] = [:]) throws -> Child {
        let p = try Child(Self.binDir.appendingPathComponent("sepia-osd").path,
                          ["--broker", workerEndpoint, "--data", dataRoot.path, "--threads", String(threads),
                           "--classes", classesDir, "--exit-with-parent"],
                          environment: environment(overrides), stdout: .file(logHandle), stderr: .file(logHandle))
        lock.withLock { workers.append(p) }
        return p
    }

    var workerProcesses: [Child] { lock.withLock { workers } }
    var brokerProcess: Child? { broker }

    func kill(_ p: Child, signal: Int32 = SIGKILL) {
        p.signal(signal)
    }

    /// Kills the broker (SIGKILL) and starts a new one on the same endpoints.
    func restartBroker() throws {
        if let broker {
            broker.signal(SIGKILL)
            broker.waitUntilExit()
        }
        try startBroker(clientEndpoint: clientEndpoint, workerEndpoint: workerEndpoint)
    }

    func stop() {
        for w in workerProcesses { w.terminate() }
        for w in workerProcesses { w.stop(grace: 10) }
        broker?.stop(grace: 5)
    }

    func client(timeout: Duration = .seconds(10), retries: Int = 5, curve: CurveClientKeys? = nil) throws -> SepiaClient {
        var o = ClientOptions(endpoint: clientEndpoint)
        o.timeout = timeout
        o.retries = retries
        o.curve = curve ?? defaultCurve
        return try SepiaClient(options: o)
    }

    /// The client keys named by the harness environment (SEPIA_SECURITY_*), if CURVE is on.
    private var defaultCurve: CurveClientKeys? {
        guard let server = extraEnvironment["SEPIA_SECURITY_CURVE_SERVER_PUBLIC_KEY"], !server.isEmpty else { return nil }
        return CurveClientKeys(serverPublicKey: server,
                               publicKey: extraEnvironment["SEPIA_SECURITY_CLIENT_PUBLIC_KEY"] ?? "",
                               secretKey: extraEnvironment["SEPIA_SECURITY_CLIENT_SECRET_KEY"] ?? "")
    }

    /// The broker's status document, decoded as the one type the broker encodes.
    func status() async throws -> BrokerStatus {
        let c = try client(timeout: .seconds(2), retries: 2)
        defer { c.close() }
        return try JSONDecoder().decode(BrokerStatus.self, from: Data(try await c.status()))
    }

    /// The broker's status document as untyped JSON (for suites not yet on `status()`).
    func statusDocument() async throws -> [String: Any] {
        let c = try client(timeout: .seconds(2), retries: 2)
        defer { c.close() }
        return try JSONSerialization.jsonObject(with: Data(try await c.status())) as? [String: Any] ?? [:]
    }

    /// Polls the broker's status until `slots` worker slots are registered and every shard
    /// has an owner.
    func waitReady(slots: Int, timeout: Duration = .seconds(30)) async throws {
        let c = try client(timeout: .milliseconds(500), retries: 0)
        defer { c.close() }
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            if let body = try? await c.status(timeout: .milliseconds(500)),
               let status = try? JSONDecoder().decode(BrokerStatus.self, from: Data(body)) {
                let serving = status.workers.reduce(0) { $0 + $1.shards.count }
                let moving = status.workers.reduce(0) { $0 + $1.movingShards.count }
                if status.workers.count >= slots && moving == 0 && serving == shards { return }
                last = "\(status.workers.count) slots, \(serving) shards serving, \(moving) moving"
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("cluster not ready: \(last); log:\n\(log())")
        throw CancellationError()
    }

    func log() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    static func readLine(_ handle: FileHandle, prefix: String, timeout: Duration) throws -> String {
        let box = LineBox()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                if let text = String(data: buffer, encoding: .utf8),
                   let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                    box.set(String(line))
                    done.signal()
                    // Keep draining so the child never blocks on a full pipe.
                    while !handle.availableData.isEmpty {}
                    return
                }
            }
            done.signal()
        }
        _ = done.wait(timeout: .now() + .milliseconds(Int(timeout.components.seconds * 1000)))
        guard let line = box.get() else { throw HarnessError.brokerDidNotStart }
        return line
    }
}

enum HarnessError: Error { case brokerDidNotStart }

final class LineBox: @unchecked Sendable {
    // @unchecked Sendable: guarded by the lock.
    private let lock = NSLock()
    private var line: String?
    func set(_ l: String) { lock.withLock { line = l } }
    func get() -> String? { lock.withLock { line } }
}
