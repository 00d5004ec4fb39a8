// A local cluster on wildcard ports whose broker is killed: the supervisor restarts it on the
// ports it had bound, so the workers reconnect and clients keep finding it where cluster.json
// says it is.
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct BrokerRestartTests {
    /// The pid of `parent`'s child running `name`, from /proc.
    static func child(of parent: Int32, named name: String) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let comm = stat[stat.index(after: open)..<close]
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if name.hasPrefix(comm), fields.count > 1, Int32(fields[1]) == parent { return pid }
        }
        return nil
    }

    @Test func restartedBrokerKeepsItsWildcardPorts() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-brk-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let env = ["SEPIA_HOME": home.path, "SEPIA_BROKER_HEARTBEAT_INTERVAL_MS": "100"]
        var r = try await CLIRunner.run(["cluster", "up", "--workers", "1", "--threads", "1", "--detach",
                                         "--data", home.appendingPathComponent("data").path,
                                         "--client-endpoint", "tcp://127.0.0.1:*", "--worker-endpoint", "tcp://127.0.0.1:*"],
                                        broker: nil, environment: env)
        #expect(r.status == 0, "\(r.stderr)\n\(r.text)")
        defer { _ = try? CLIRunner.runBlocking(["cluster", "down"], broker: nil, stdin: nil, environment: env) }
        r = try await CLIRunner.run(["put", "k", "-"], broker: nil, stdin: Data("v".utf8), environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        let stateFile = home.appendingPathComponent("cluster.json")
        let state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: stateFile)) as? [String: Any])
        let supervisor = Int32(try #require(state["pid"] as? Int))
        let endpoint = try #require(state["clientEndpoint"] as? String)
        #expect(!endpoint.hasSuffix(":*"), "cluster.json records the bound port")
        let broker = try #require(Self.child(of: supervisor, named: "sepia-broker"))
        kill(broker, SIGKILL)
        try await eventually("a new broker", timeout: .seconds(20)) {
            Self.child(of: supervisor, named: "sepia-broker").map { $0 != broker } ?? false
        }
        // The worker finds the new broker on the old worker port and the client on the old
        // client port: the object is served again.
        try await eventually("the object served through the restarted broker", timeout: .seconds(30), interval: .milliseconds(200)) {
            let got = try await CLIRunner.run(["get", "k", "--timeout", "2", "--retries", "0"], broker: nil, environment: env)
            return got.status == 0 && got.text == "v"
        }
        let after = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: stateFile)) as? [String: Any])
        #expect(after["clientEndpoint"] as? String == endpoint)
    }
}
