// Runs the real `sepia` binary and captures what it prints.
import Foundation

struct CLIResult {
    var status: Int32
    var stdout: Data
    var stderr: String
    /// The runner killed it: it was still running `killAfter` seconds after it started.
    var killed = false
    var text: String { String(decoding: stdout, as: UTF8.self) }
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: stdout) as? [String: Any] }
}

enum CLIRunner {
    /// Runs `sepia` on a thread of its own and awaits it, so waiting for the process never
    /// blocks one of the few threads of Swift's cooperative pool (other tests need them).
    /// With `killAfter`, a command still running after that many seconds is killed and comes
    /// back `killed`, so a test of "it ends by its timeout" fails instead of hanging.
    static func run(_ args: [String], broker: String?, stdin: Data? = nil, environment: [String: String] = [:],
                    killAfter: TimeInterval? = nil) async throws -> CLIResult {
        let result: Result<CLIResult, any Error> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: Result {
                    try runBlocking(args, broker: broker, stdin: stdin, environment: environment, killAfter: killAfter)
                })
            }
        }
        return try result.get()
    }

    static func runBlocking(_ args: [String], broker: String?, stdin: Data?, environment: [String: String],
                            killAfter: TimeInterval? = nil) throws -> CLIResult {
        let p = Process()
        p.executableURL = ClusterHarness.binDir.appendingPathComponent("sepia")
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["SEPIA_BROKER"] = broker ?? ""
        // Keep the tests away from any local cluster of the person running them.
        env["SEPIA_HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-cli-home-\(getpid())").path
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        let killed = Flag()
        if let killAfter {
            DispatchQueue.global().asyncAfter(deadline: .now() + killAfter) {
                if p.isRunning {
                    killed.set()
                    kill(p.processIdentifier, SIGKILL)
                }
            }
        }
        // Read both pipes concurrently so a large output never blocks the child.
        let outBox = DataBox(), errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread { outBox.set(out.fileHandleForReading.readDataToEndOfFile()); group.leave() }
        group.enter()
        Thread.detachNewThread { errBox.set(err.fileHandleForReading.readDataToEndOfFile()); group.leave() }
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        group.wait()
        return CLIResult(status: p.terminationStatus, stdout: outBox.get(), stderr: String(decoding: errBox.get(), as: UTF8.self),
                         killed: killed.isSet)
    }
}

final class DataBox: @unchecked Sendable {
    // @unchecked Sendable: guarded by the lock.
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.withLock { data = d } }
    func get() -> Data { lock.withLock { data } }
}

final class Flag: @unchecked Sendable {
    // @unchecked Sendable: guarded by the lock.
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Runs blocking work (reading a child's output, waiting for it to exit) on a thread of its
/// own, so async tests never hold one of the cooperative pool's few threads while they wait.
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: Result { try body() }) }
        }
        return try result.get()
    }
}
