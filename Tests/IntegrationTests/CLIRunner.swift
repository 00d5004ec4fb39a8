// Runs the real `sepia` binary and captures what it prints.
import Foundation
import Spawn

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
        var env = ProcessInfo.processInfo.environment
        env["SEPIA_BROKER"] = broker ?? ""
        // Keep the tests away from any local cluster of the person running them.
        env["SEPIA_HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-cli-home-\(getpid())").path
        for (k, v) in environment { env[k] = v }
        let outcome = try Child.run(ClusterHarness.binDir.appendingPathComponent("sepia").path, args, environment: env,
                                    input: stdin ?? Data(), killAfter: killAfter)
        return CLIResult(status: outcome.status, stdout: outcome.stdout, stderr: outcome.errors, killed: outcome.killed)
    }
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
