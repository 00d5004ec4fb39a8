// `sepia cluster up` as a user runs it: detached start, a crashed worker restarted by the
// supervisor, `sepia cluster down`.
import Client
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct SupervisorTests {
    @Test func clusterUpRestartsACrashedWorkerAndDownStopsIt() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-sup-\(UUID().uuidString)")
        let data = home.appendingPathComponent("data").path
        defer { try? FileManager.default.removeItem(at: home) }
        let env = ["SEPIA_HOME": home.path, "SEPIA_BROKER_HEARTBEAT_INTERVAL_MS": "100"]
        let port = Int.random(in: 20000...32000)  // below the kernel's ephemeral range (32768+)
        var r = try await CLIRunner.run(["cluster", "up", "--workers", "2", "--threads", "1", "--data", data, "--detach",
                                   "--client-endpoint", "tcp://127.0.0.1:\(port)", "--worker-endpoint", "tcp://127.0.0.1:\(port + 1)",
                                   "--classes", ClusterHarness.repoRoot.appendingPathComponent("classes").path],
                                  broker: nil, environment: env)
        #expect(r.status == 0, "\(r.stderr)\n\(r.text)")
        defer { _ = try? CLIRunner.runBlocking(["cluster", "down"], broker: nil, stdin: nil, environment: env) }
        // A second local cluster is refused while this one runs.
        r = try await CLIRunner.run(["cluster", "up", "--detach", "--data", data], broker: nil, environment: env)
        #expect(r.status == 1)
        #expect(r.stderr.contains("already running"), "\(r.stderr)")
        // Commands find the local cluster without configuration.
        r = try await CLIRunner.run(["put", "k", "-"], broker: nil, stdin: Data("v".utf8), environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        r = try await CLIRunner.run(["status", "--json"], broker: nil, environment: env)
        let workers = try #require(r.json?["workers"] as? [[String: Any]])
        #expect(workers.count == 2)
        let pids = Set(workers.compactMap { $0["pid"] as? Int })
        // Crash one worker: the supervisor starts a new one and the cluster serves again.
        let victim = try #require(pids.first)
        kill(Int32(victim), SIGKILL)
        let deadline = ContinuousClock.now + .seconds(30)
        var restarted = false
        while !restarted && ContinuousClock.now < deadline {
            r = try await CLIRunner.run(["status", "--json"], broker: nil, environment: env)
            let now = (r.json?["workers"] as? [[String: Any]]) ?? []
            let nowPIDs = Set(now.compactMap { $0["pid"] as? Int })
            restarted = now.count == 2 && !nowPIDs.contains(victim) && nowPIDs.count == 2
            if !restarted { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(restarted, "a new worker replaced pid \(victim)")
        r = try await CLIRunner.run(["get", "k"], broker: nil, environment: env)
        #expect(r.text == "v")
        r = try await CLIRunner.run(["cluster", "down"], broker: nil, environment: env)
        #expect(r.status == 0)
        #expect(r.text.contains("stopped"))
        r = try await CLIRunner.run(["cluster", "down"], broker: nil, environment: env)
        #expect(r.text.contains("no local cluster"))
    }

    @Test func aKilledSupervisorLeavesNoProcessesBehind() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-sup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let env = ["SEPIA_HOME": home.path]
        let port = Int.random(in: 10000...19000)  // below the ephemeral range, apart from the other test
        var r = try await CLIRunner.run(["cluster", "up", "--workers", "1", "--threads", "1", "--data", home.appendingPathComponent("data").path,
                                   "--detach", "--client-endpoint", "tcp://127.0.0.1:\(port)",
                                   "--worker-endpoint", "tcp://127.0.0.1:\(port + 1)"], broker: nil, environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        r = try await CLIRunner.run(["status", "--json"], broker: nil, environment: env)
        let workerPIDs = ((r.json?["workers"] as? [[String: Any]]) ?? []).compactMap { ($0["pid"] as? Int).map(Int32.init) }
        #expect(!workerPIDs.isEmpty)
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: home.appendingPathComponent("cluster.json"))) as? [String: Any]
        let pid = try #require(state?["pid"] as? Int)
        let supervisor = Int32(pid)
        kill(supervisor, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(15)
        while workerPIDs.contains(where: { kill($0, 0) == 0 }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(!workerPIDs.contains(where: { kill($0, 0) == 0 }), "workers stop once their supervisor is gone")
        r = try await CLIRunner.run(["cluster", "down"], broker: nil, environment: env)
        #expect(r.text.contains("no local cluster"))
    }
}
