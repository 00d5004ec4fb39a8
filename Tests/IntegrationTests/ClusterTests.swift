// The cluster with real processes: routing, worker death, joins, graceful leave, broker restart.
import Client
import Codec
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(5))) struct ClusterTests {
    /// Appends a unique token per request to one of a few objects, with retries; returns the
    /// tokens whose requests were acknowledged.
    /// `ops` turns a token into the request's ops (a plain append by default); with
    /// `echoesToken`, a reply counts as acknowledged only if its first output is the token.
    static func appendStream(_ client: SepiaClient, count: Int, objects: Int, window: Int = 16,
                             ops: @escaping @Sendable (Bytes) -> [Op] = { [.append(data: $0)] }, echoesToken: Bool = false,
                             during: @escaping @Sendable (Int) async -> Void) async -> (acked: [String: String], failed: Int) {
        let acked = Mutex2<[String: String]>([:])
        let failed = Mutex2<Int>(0)
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<window {
                group.addTask {
                    var i = lane
                    while i < count {
                        let token = "t\(i);"
                        let oid = "stream-\(i % objects)"
                        do {
                            let reply = try await client.send(oid: Array(oid.utf8), ops: ops(Array(token.utf8)))
                            let echoed = !echoesToken || reply.results.first == .output(rc: 0, data: Array(token.utf8))
                            if reply.rc >= 0 && echoed { acked.with { $0[token] = oid } } else { failed.with { $0 += 1 } }
                        } catch {
                            failed.with { $0 += 1 }
                        }
                        await during(i)
                        i += window
                    }
                }
            }
        }
        return (acked.with { $0 }, failed.with { $0 })
    }

    /// Every acknowledged token is present exactly once, and no token appears twice.
    static func verifyExactlyOnce(_ client: SepiaClient, acked: [String: String], objects: Int) async throws {
        var seen: [String: Int] = [:]
        for o in 0..<objects {
            let data = try await client.get(oid: Array("stream-\(o)".utf8))
            for token in String(decoding: data, as: UTF8.self).split(separator: ";") {
                seen[String(token) + ";", default: 0] += 1
            }
        }
        for (token, _) in acked {
            #expect(seen[token] == 1, "acknowledged \(token) found \(seen[token] ?? 0) times")
        }
        let twice = seen.filter { $0.value > 1 }
        #expect(twice.isEmpty, "applied twice: \(twice.keys.sorted().prefix(10))")
    }

    @Test func routesAcrossThreeWorkers() async throws {
        let cluster = try ClusterHarness(workers: 3, shards: 16)
        try await cluster.waitReady(slots: 3)
        let client = try cluster.client()
        for i in 0..<60 {
            try await client.put(oid: Array("obj-\(i)".utf8), data: Array("value-\(i)".utf8))
        }
        for i in 0..<60 {
            #expect(try await client.get(oid: Array("obj-\(i)".utf8)) == Array("value-\(i)".utf8))
        }
        let doc = try JSONSerialization.jsonObject(with: Data(try await client.status())) as! [String: Any]
        let workers = doc["workers"] as! [[String: Any]]
        #expect(workers.count == 3)
        // Balanced: 16 shards over 3 slots is 5 or 6 each.
        for w in workers { #expect((5...6).contains((w["shards"] as? [Int])?.count ?? -1), "\(w)") }
        var names: [String] = []
        try await client.listObjects(prefix: Array("obj-".utf8)) { names += $0.map { String(decoding: $0, as: UTF8.self) } }
        #expect(Set(names) == Set((0..<60).map { "obj-\($0)" }))

        // Workers report latency by handler/class; status shows it within a few seconds.
        for i in 0..<5 { _ = try await client.call(oid: Array("obj-\(i)".utf8), className: "hash", method: "sha256") }
        var handlers: [String: Int] = [:]
        try? await eventually("5 calls in the status", timeout: .seconds(15), interval: .milliseconds(100)) { () async throws -> Bool in
            let status = try JSONSerialization.jsonObject(with: Data(try await client.status())) as! [String: Any]
            handlers = Dictionary(((status["handlers"] as? [[String: Any]]) ?? []).map { ($0["name"] as! String, $0["count"] as! Int) },
                                  uniquingKeysWith: +)
            return handlers["call:hash.sha256"] == 5
        }
        #expect(handlers["call:hash.sha256"] == 5)
        #expect(handlers["ops"] ?? 0 >= 120, "60 puts and 60 gets")
    }

    @Test func workerKilledMidStreamLosesNothing() async throws {
        let cluster = try ClusterHarness(workers: 2, shards: 16)
        try await cluster.waitReady(slots: 2)
        let client = try cluster.client(timeout: .seconds(2), retries: 10)
        let victim = cluster.workerProcesses[0]
        let killed = Mutex2(false)
        let result = await Self.appendStream(client, count: 600, objects: 8) { i in
            if i >= 200 && killed.with({ let was = $0; $0 = true; return !was }) {
                cluster.kill(victim)
            }
        }
        #expect(killed.with { $0 })
        #expect(result.failed == 0, "every request got a successful reply after retries")
        #expect(result.acked.count == 600)
        try await Self.verifyExactlyOnce(client, acked: result.acked, objects: 8)
    }

    @Test func workerAddedMidStreamTakesShards() async throws {
        let cluster = try ClusterHarness(workers: 1, shards: 16)
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client(timeout: .seconds(2), retries: 10)
        let added = Mutex2(false)
        let result = await Self.appendStream(client, count: 400, objects: 8) { i in
            if i >= 100 && added.with({ let was = $0; $0 = true; return !was }) {
                _ = try? cluster.addWorker()
            }
        }
        #expect(result.failed == 0)
        try await cluster.waitReady(slots: 2)
        let doc = try JSONSerialization.jsonObject(with: Data(try await client.status())) as! [String: Any]
        let shards = (doc["workers"] as! [[String: Any]]).map { ($0["shards"] as? [Int])?.count ?? 0 }
        #expect(shards.sorted() == [8, 8])
        try await Self.verifyExactlyOnce(client, acked: result.acked, objects: 8)
    }

    @Test func gracefulLeaveHandsShardsOver() async throws {
        let cluster = try ClusterHarness(workers: 2, shards: 16)
        try await cluster.waitReady(slots: 2)
        let client = try cluster.client(timeout: .seconds(2), retries: 10)
        let leaver = cluster.workerProcesses[1]
        let left = Mutex2(false)
        let result = await Self.appendStream(client, count: 400, objects: 8) { i in
            if i >= 100 && left.with({ let was = $0; $0 = true; return !was }) {
                cluster.kill(leaver, signal: SIGTERM)
            }
        }
        #expect(result.failed == 0)
        try await Blocking.run { leaver.waitUntilExit() }
        #expect(leaver.terminationStatus == 0, "SIGTERM is a clean exit")
        try await Self.verifyExactlyOnce(client, acked: result.acked, objects: 8)
    }

    @Test func brokerRestartMidStream() async throws {
        let cluster = try ClusterHarness(workers: 2, shards: 16)
        try await cluster.waitReady(slots: 2)
        let client = try cluster.client(timeout: .seconds(1), retries: 20)
        let restarted = Mutex2(false)
        let result = await Self.appendStream(client, count: 300, objects: 8) { i in
            if i >= 100 && restarted.with({ let was = $0; $0 = true; return !was }) {
                try? cluster.restartBroker()
            }
        }
        #expect(result.failed == 0)
        try await Self.verifyExactlyOnce(client, acked: result.acked, objects: 8)
    }
}

/// A tiny lock box for test bookkeeping across tasks.
final class Mutex2<Value>: @unchecked Sendable {
    // @unchecked Sendable: every access holds the lock.
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    @discardableResult
    func with<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
}
