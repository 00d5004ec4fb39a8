// `sepia cluster up --detach --config F` where F turns CURVE on: the readiness check connects
// with the configuration's client keys, so the command returns 0 once the cluster serves, and
// commands using the same file are served.
import Foundation
import Testing
import ZeroMQ

@Suite(.serialized, .timeLimit(.minutes(2))) struct ClusterUpCurveTests {
    @Test func detachedCurveClusterIsReportedReady() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-curve-up-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try Curve.keyPair(), client = try Curve.keyPair(), worker = try Curve.keyPair()
        let config = home.appendingPathComponent("sepia.yaml")
        try """
        security:
          curve_server_public_key: "\(server.publicKey)"
          curve_server_secret_key: "\(server.secretKey)"
          allowed_client_keys: ["\(client.publicKey)"]
          allowed_worker_keys: ["\(worker.publicKey)"]
          client_public_key: "\(client.publicKey)"
          client_secret_key: "\(client.secretKey)"
          worker_public_key: "\(worker.publicKey)"
          worker_secret_key: "\(worker.secretKey)"
        """.write(to: config, atomically: true, encoding: .utf8)
        let env = ["SEPIA_HOME": home.path, "SEPIA_BROKER_HEARTBEAT_INTERVAL_MS": "100"]
        var r = try await CLIRunner.run(["cluster", "up", "--workers", "1", "--threads", "1", "--detach", "--config", config.path,
                                         "--data", home.appendingPathComponent("data").path,
                                         "--client-endpoint", "tcp://127.0.0.1:*", "--worker-endpoint", "tcp://127.0.0.1:*"],
                                        broker: nil, environment: env)
        defer { _ = try? CLIRunner.runBlocking(["cluster", "down"], broker: nil, stdin: nil, environment: env) }
        #expect(r.status == 0, "\(r.stderr)\n\(r.text)")
        r = try await CLIRunner.run(["put", "k", "-", "--config", config.path, "--timeout", "5", "--retries", "0"], broker: nil, stdin: Data("v".utf8), environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        r = try await CLIRunner.run(["get", "k", "--config", config.path, "--timeout", "5", "--retries", "0"], broker: nil, environment: env)
        #expect(r.text == "v", "\(r.stderr)")
        // The status, as text and as JSON (endpoints unescaped), over the same keys.
        r = try await CLIRunner.run(["status", "--config", config.path, "--timeout", "5", "--retries", "0"], broker: nil, environment: env)
        #expect(r.status == 0 && r.text.contains("serving") && r.text.contains("broker   client tcp://127.0.0.1:"), "\(r.stderr)\n\(r.text)")
        r = try await CLIRunner.run(["status", "--json", "--config", config.path, "--timeout", "5", "--retries", "0"], broker: nil, environment: env)
        #expect(r.text.contains("\"clientEndpoint\":\"tcp://127.0.0.1:") && !r.text.contains("\\/"), "\(r.text)")
    }
}
