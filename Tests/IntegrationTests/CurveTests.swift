// CURVE end to end through the real processes: the allow-lists decide which clients are served
// and which workers are given shards, and a client that speaks plain TCP gets nothing.
import Client
import Codec
import Foundation
import Spawn
import Testing
import ZeroMQ

@Suite(.serialized, .timeLimit(.minutes(3))) struct CurveTests {
    typealias KeyPair = (publicKey: String, secretKey: String)

    static func environment(server: KeyPair, client: KeyPair, worker: KeyPair) -> [String: String] {
        [
            "SEPIA_SECURITY_CURVE_SERVER_PUBLIC_KEY": server.publicKey,
            "SEPIA_SECURITY_CURVE_SERVER_SECRET_KEY": server.secretKey,
            "SEPIA_SECURITY_ALLOWED_CLIENT_KEYS": client.publicKey,
            "SEPIA_SECURITY_ALLOWED_WORKER_KEYS": worker.publicKey,
            "SEPIA_SECURITY_CLIENT_PUBLIC_KEY": client.publicKey,
            "SEPIA_SECURITY_CLIENT_SECRET_KEY": client.secretKey,
            "SEPIA_SECURITY_WORKER_PUBLIC_KEY": worker.publicKey,
            "SEPIA_SECURITY_WORKER_SECRET_KEY": worker.secretKey,
        ]
    }

    /// A client that must get no service: its request times out.
    static func expectNoService(_ options: ClientOptions, _ what: String) async throws {
        let c = try SepiaClient(options: options)
        defer { c.close() }
        do {
            try await c.put(oid: Array("intruder".utf8), data: Array(what.utf8))
            Issue.record("\(what) was served")
        } catch {
            #expect(error.rc == Errno.ETIMEDOUT.rc, "\(what): \(error)")
        }
    }

    /// Options for a short-lived client that gives up quickly.
    static func impatient(_ endpoint: String, curve: CurveClientKeys? = nil) -> ClientOptions {
        var options = ClientOptions(endpoint: endpoint)
        options.timeout = .milliseconds(700)
        options.retries = 0
        options.curve = curve
        return options
    }

    static func authRejected(_ cluster: ClusterHarness) async throws -> Int {
        (try await cluster.statusDocument()["authRejected"] as? Int) ?? -1
    }

    @Test(.enabled(if: Curve.isAvailable, "libzmq built without CURVE"))
    func allowListsGateClientsAndWorkers() async throws {
        let server = try Curve.keyPair(), client = try Curve.keyPair(), worker = try Curve.keyPair()
        let stranger = try Curve.keyPair()
        let cluster = try ClusterHarness(workers: 1, shards: 8,
                                         environment: Self.environment(server: server, client: client, worker: worker))
        try await cluster.waitReady(slots: 1)
        let allowed = try cluster.client(timeout: .seconds(5))
        try await allowed.put(oid: Array("secret".utf8), data: Array("v1".utf8))
        #expect(try await allowed.get(oid: Array("secret".utf8)) == Array("v1".utf8))

        var options = Self.impatient(cluster.clientEndpoint)
        // Plain TCP against a CURVE socket: the handshake never completes.
        try await Self.expectNoService(options, "a plaintext client")
        // The right server key, a key pair nobody allowed.
        options.curve = CurveClientKeys(serverPublicKey: server.publicKey, publicKey: stranger.publicKey,
                                        secretKey: stranger.secretKey)
        try await Self.expectNoService(options, "a client with an unknown key")
        // A worker's key is not a client's key: the domains have separate lists.
        options.curve = CurveClientKeys(serverPublicKey: server.publicKey, publicKey: worker.publicKey,
                                        secretKey: worker.secretKey)
        try await Self.expectNoService(options, "a client presenting the worker key")
        // A fresh pair (no key configured) is refused too while an allow-list exists.
        options.curve = CurveClientKeys(serverPublicKey: server.publicKey, publicKey: "", secretKey: "")
        try await Self.expectNoService(options, "a client with a fresh key pair")
        #expect(try await Self.authRejected(cluster) >= 3)

        // The allowed client was never disturbed.
        try await allowed.put(oid: Array("secret".utf8), data: Array("v2".utf8))
        #expect(try await allowed.get(oid: Array("secret".utf8)) == Array("v2".utf8))

        // Workers with a stranger's key, or with the client's key, are refused and get no shards.
        let before = try await Self.authRejected(cluster)
        try cluster.addWorker(environment: ["SEPIA_SECURITY_WORKER_PUBLIC_KEY": stranger.publicKey,
                                            "SEPIA_SECURITY_WORKER_SECRET_KEY": stranger.secretKey])
        try cluster.addWorker(environment: ["SEPIA_SECURITY_WORKER_PUBLIC_KEY": client.publicKey,
                                            "SEPIA_SECURITY_WORKER_SECRET_KEY": client.secretKey])
        try? await eventually("both workers refused", timeout: .seconds(15), interval: .milliseconds(50)) {
            try await Self.authRejected(cluster) >= before + 2
        }
        #expect(try await Self.authRejected(cluster) >= before + 2, "both workers refused")
        let workers = try await cluster.statusDocument()["workers"] as? [[String: Any]] ?? []
        #expect(workers.count == 1, "only the allowed worker is registered: \(workers)")
        #expect((workers.first?["shards"] as? [Int])?.count == 8)
        #expect(try await allowed.get(oid: Array("secret".utf8)) == Array("v2".utf8))

        // A second worker with the allowed key joins and takes shards: the list is what decides.
        try cluster.addWorker()
        try await cluster.waitReady(slots: 2)
        let serving = try await cluster.statusDocument()["workers"] as? [[String: Any]] ?? []
        #expect(serving.allSatisfy { (($0["shards"] as? [Int])?.count ?? 0) > 0 }, "\(serving)")
        for i in 0..<16 { try await allowed.put(oid: Array("after-\(i)".utf8), data: [UInt8(i)]) }
        for i in 0..<16 { #expect(try await allowed.get(oid: Array("after-\(i)".utf8)) == [UInt8(i)]) }
    }

    @Test(.enabled(if: Curve.isAvailable, "libzmq built without CURVE"))
    func withoutAllowListsAnyKeyPairIsServedEncrypted() async throws {
        let server = try Curve.keyPair()
        // No allow-lists and no configured pairs: clients and workers make fresh ones.
        let cluster = try ClusterHarness(workers: 1, shards: 4, environment: [
            "SEPIA_SECURITY_CURVE_SERVER_PUBLIC_KEY": server.publicKey,
            "SEPIA_SECURITY_CURVE_SERVER_SECRET_KEY": server.secretKey,
        ])
        try await cluster.waitReady(slots: 1)
        let c = try cluster.client(timeout: .seconds(5))
        try await c.put(oid: Array("open".utf8), data: Array("x".utf8))
        #expect(try await c.get(oid: Array("open".utf8)) == Array("x".utf8))
        try await Self.expectNoService(Self.impatient(cluster.clientEndpoint), "a plaintext client")
    }

    /// What crosses the wire: with CURVE the payload never appears in clear; without it, it
    /// does (which shows the relay sees the traffic).
    @Test(.enabled(if: Curve.isAvailable, "libzmq built without CURVE"))
    func payloadsAreEncryptedOnTheWire() async throws {
        let marker = Array("SEPIA-PLAINTEXT-MARKER-0123456789".utf8)
        func sniff(_ environment: [String: String]) async throws -> [UInt8] {
            let cluster = try ClusterHarness(workers: 1, shards: 4, environment: environment)
            try await cluster.waitReady(slots: 1)
            let port = UInt16(cluster.clientEndpoint.split(separator: ":").last!)!
            let relay = try SniffingRelay(targetPort: port)
            defer { relay.close() }
            var options = ClientOptions(endpoint: "tcp://127.0.0.1:\(relay.port)")
            options.timeout = .seconds(5)
            if let server = environment["SEPIA_SECURITY_CURVE_SERVER_PUBLIC_KEY"] {
                options.curve = CurveClientKeys(serverPublicKey: server, publicKey: environment["SEPIA_SECURITY_CLIENT_PUBLIC_KEY"]!,
                                                secretKey: environment["SEPIA_SECURITY_CLIENT_SECRET_KEY"]!)
            }
            let c = try SepiaClient(options: options)
            defer { c.close() }
            try await c.put(oid: Array("wire".utf8), data: marker)
            #expect(try await c.get(oid: Array("wire".utf8)) == marker)
            return relay.bytes
        }
        func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
            haystack.count >= needle.count && (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
        }
        let plain = try await sniff([:])
        #expect(contains(plain, marker), "the relay saw the plaintext traffic")
        let server = try Curve.keyPair(), client = try Curve.keyPair(), worker = try Curve.keyPair()
        let encrypted = try await sniff(Self.environment(server: server, client: client, worker: worker))
        #expect(encrypted.count > marker.count * 2, "traffic went through the relay: \(encrypted.count) bytes")
        #expect(!contains(encrypted, marker), "the payload crossed the wire in clear")
    }

    /// The operator's path: `sepia keygen` makes the pairs, the CLI talks through CURVE with
    /// its configured pair, and `sepia cluster up` refuses a non-loopback endpoint.
    @Test(.enabled(if: Curve.isAvailable, "libzmq built without CURVE"))
    func keygenAndTheCLIWorkEndToEnd() async throws {
        func pair() async throws -> KeyPair {
            let r = try await CLIRunner.run(["keygen", "--json"], broker: nil)
            #expect(r.status == 0, "\(r.stderr)")
            let keys = try #require(r.json as? [String: String])
            let pair = (publicKey: keys["public_key"] ?? "", secretKey: keys["secret_key"] ?? "")
            #expect(Curve.isKey(pair.publicKey) && (try? Curve.publicKey(ofSecret: pair.secretKey)) == pair.publicKey)
            return pair
        }
        let server = try await pair(), client = try await pair(), worker = try await pair()
        let environment = Self.environment(server: server, client: client, worker: worker)
        let cluster = try ClusterHarness(workers: 1, shards: 4, environment: environment)
        try await cluster.waitReady(slots: 1)
        let put = try await CLIRunner.run(["put", "cli-obj", "-"], broker: cluster.clientEndpoint, stdin: Data("via curve".utf8),
                                    environment: environment)
        #expect(put.status == 0, "\(put.stderr)")
        let get = try await CLIRunner.run(["get", "cli-obj"], broker: cluster.clientEndpoint, environment: environment)
        #expect(get.status == 0 && get.text == "via curve", "\(get.stderr)")
        var stranger = environment
        stranger["SEPIA_SECURITY_CLIENT_PUBLIC_KEY"] = worker.publicKey
        stranger["SEPIA_SECURITY_CLIENT_SECRET_KEY"] = worker.secretKey
        let refused = try await CLIRunner.run(["get", "cli-obj", "--timeout", "0.5", "--retries", "0"], broker: cluster.clientEndpoint,
                                        environment: stranger)
        #expect(refused.status != 0 && refused.text.isEmpty, "\(refused.stderr)")

        let open = try await CLIRunner.run(["cluster", "up", "--client-endpoint", "tcp://0.0.0.0:7700"], broker: nil)
        #expect(open.status != 0 && open.stderr.contains("loopback"), "\(open.stderr)")
    }

    /// A mistyped key or an allow-list without the server key stops the broker at start.
    @Test(.enabled(if: Curve.isAvailable, "libzmq built without CURVE"))
    func brokerRefusesBadKeyConfiguration() async throws {
        let server = try Curve.keyPair(), other = try Curve.keyPair()
        let cases: [([String: String], String)] = [
            (["SEPIA_SECURITY_ALLOWED_CLIENT_KEYS": other.publicKey], "curve_server_secret_key is empty"),
            (["SEPIA_SECURITY_CURVE_SERVER_SECRET_KEY": "short"], "not a 40-character Z85 key"),
            (["SEPIA_SECURITY_CURVE_SERVER_SECRET_KEY": server.secretKey,
              "SEPIA_SECURITY_CURVE_SERVER_PUBLIC_KEY": other.publicKey], "does not belong"),
            (["SEPIA_SECURITY_CURVE_SERVER_SECRET_KEY": server.secretKey,
              "SEPIA_SECURITY_ALLOWED_WORKER_KEYS": "\(other.publicKey),typo"], "allowed_worker_keys: 'typo'"),
        ]
        for (environment, message) in cases {
            try Self.expectRefusal("sepia-broker", ["--client-endpoint", "tcp://127.0.0.1:*", "--worker-endpoint", "tcp://127.0.0.1:*"],
                                   environment, message)
        }
        // A worker with a mismatched pair.
        try Self.expectRefusal("sepia-osd", ["--broker", "tcp://127.0.0.1:1", "--data", NSTemporaryDirectory()],
                               ["SEPIA_SECURITY_CURVE_SERVER_PUBLIC_KEY": server.publicKey,
                                "SEPIA_SECURITY_WORKER_PUBLIC_KEY": other.publicKey,
                                "SEPIA_SECURITY_WORKER_SECRET_KEY": server.secretKey], "not a key pair")
    }

    /// Runs `binary`, which must exit non-zero at once and say `message` on stderr.
    static func expectRefusal(_ binary: String, _ arguments: [String], _ environment: [String: String], _ message: String) throws {
        let r = try Child.run(ClusterHarness.binDir.appendingPathComponent(binary).path, arguments,
                              environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, killAfter: 30)
        #expect(r.status != 0 && !r.killed, "\(binary) \(environment)")
        #expect(r.errors.contains(message), "\(r.errors)")
    }
}
