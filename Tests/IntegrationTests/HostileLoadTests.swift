// Hostile scripts (endless loops, memory bombs) mixed with normal traffic on the same worker
// threads: each hostile request ends in its errno, every normal request completes. With
// SEPIA_BENCH=1 it runs longer and prints the normal traffic's latency percentiles with and
// without the attack (figures in docs/security.md).
import Client
import Codec
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct HostileLoadTests {
    static let bench = ProcessInfo.processInfo.environment["SEPIA_BENCH"] == "1"

    static let hostile: [(script: String, rc: Int32, kind: ErrorKind)] = [
        ("function h(i, o) while true do end end cls.register(h)", Errno.ETIMEDOUT.rc, .timeout),
        // A memory bomb slowed by the load may reach the deadline before the cap: either ends it.
        ("function h(i, o) local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 65536) .. i end end cls.register(h)",
         Errno.ENOMEM.rc, .memory),
        ("function h(i, o) local s = 'x' while true do s = s .. s end end cls.register(h)", Errno.ENOMEM.rc, .memory),
    ]

    /// Puts and reads back `count` objects per lane; returns each pair's latency in ms.
    static func normalTraffic(_ client: SepiaClient, lanes: Int, count: Int, tag: String) async throws -> [Double] {
        try await withThrowingTaskGroup(of: [Double].self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    var latencies: [Double] = []
                    for i in 0..<count {
                        let oid = Array("normal-\(lane)-\(i % 16)".utf8), value = Array("\(tag)-\(lane)-\(i)".utf8)
                        let start = ContinuousClock.now
                        do {
                            try await client.put(oid: oid, data: value)
                            #expect(try await client.get(oid: oid) == value)
                        } catch {
                            Issue.record("\(tag) lane \(lane) request \(i): \(error) after \(ContinuousClock.now - start)")
                            continue
                        }
                        let d = (ContinuousClock.now - start).components
                        latencies.append(Double(d.seconds) * 1000 + Double(d.attoseconds) / 1e15)
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    static func percentiles(_ values: [Double]) -> String {
        let s = values.sorted()
        func p(_ q: Double) -> Double { s.isEmpty ? 0 : s[min(s.count - 1, Int(Double(s.count) * q))] }
        return String(format: "n=%d p50=%.1fms p90=%.1fms p99=%.1fms max=%.1fms", s.count, p(0.5), p(0.9), p(0.99), s.last ?? 0)
    }

    @Test func hostileScriptsGetTheirErrnoAndNormalTrafficCompletes() async throws {
        let cluster = try ClusterHarness(workers: 1, threads: 2, shards: 8, environment: [
            "SEPIA_LUA_TIME_LIMIT_MS": "100",
            "SEPIA_LUA_MEMORY_LIMIT_BYTES": String(32 << 20),
        ])
        try await cluster.waitReady(slots: 2)
        let normal = try cluster.client(timeout: .seconds(20), retries: 0)
        let lanes = 4, count = Self.bench ? 100 : 20
        let baseline = try await Self.normalTraffic(normal, lanes: lanes, count: count, tag: "calm")

        let attacker = try cluster.client(timeout: .seconds(20), retries: 0)
        let stop = Mutex2(false)
        let slowest = Mutex2(Duration.zero)
        let tally = Mutex2<(ok: Int, wrong: [String])>((0, []))
        let attack = Task {
            await withTaskGroup(of: Void.self) { group in
                for lane in 0..<(Self.bench ? 8 : 4) {
                    group.addTask {
                        var n = lane
                        while !stop.with({ $0 }) {
                            let (script, rc, kind) = Self.hostile[n % Self.hostile.count]
                            n += 1
                            let start = ContinuousClock.now
                            defer { slowest.with { $0 = max($0, ContinuousClock.now - start) } }
                            do {
                                let r = try await attacker.exec(oid: Array("hostile-\(n % 16)".utf8), script: Array(script.utf8), handler: "h")
                                let refused = (r.rc == rc && r.error?.kind == kind)
                                    || (r.rc == Errno.ETIMEDOUT.rc && r.error?.kind == .timeout)
                                if refused { tally.with { $0.ok += 1 } }
                                else { tally.with { $0.wrong.append("\(r.rc) \(String(describing: r.error))") } }
                            } catch {
                                tally.with { $0.wrong.append("\(error)") }
                            }
                        }
                    }
                }
            }
        }
        let underAttack = try await Self.normalTraffic(normal, lanes: lanes, count: count, tag: "storm")
        stop.with { $0 = true }
        await attack.value
        let (ok, wrong) = tally.with { $0 }
        #expect(ok >= 4, "hostile requests ran alongside: \(ok)")
        #expect(wrong.isEmpty, "hostile requests with the wrong outcome: \(wrong.prefix(5))")
        #expect(underAttack.count == lanes * count, "every normal request completed")
        #expect(slowest.with { $0 } < .seconds(5), "each hostile request ends near its limits")
        #expect(cluster.workerProcesses.allSatisfy { $0.isRunning })
        if underAttack.count < lanes * count { print(cluster.log().suffix(4000)) }
        if Self.bench {
            print("hostile-load: baseline     \(Self.percentiles(baseline))")
            print("hostile-load: under attack \(Self.percentiles(underAttack)) (\(ok) hostile requests refused, slowest \(slowest.with { $0 }))")
        }
    }

    /// A script running longer than the heartbeat silence limit (and a round of several) must
    /// not get its healthy slot declared dead and its shards moved (they were, before the
    /// broker gave busy slots the Lua time limit as grace).
    @Test func longScriptsDoNotGetTheirSlotDeclaredDead() async throws {
        let cluster = try ClusterHarness(workers: 1, threads: 1, shards: 4, environment: ["SEPIA_LUA_TIME_LIMIT_MS": "800", "SEPIA_LUA_INSTRUCTION_LIMIT": "1000000000000"])
        try await cluster.waitReady(slots: 1)
        let c = try cluster.client(timeout: .seconds(10), retries: 0)
        let loop = Array(Self.hostile[0].script.utf8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<3 {
                group.addTask {
                    let r = try await c.exec(oid: Array("slow-\(i)".utf8), script: loop, handler: "h")
                    #expect(r.rc == Errno.ETIMEDOUT.rc && r.error?.kind == .timeout, "\(r)")
                }
            }
            try await group.waitForAll()
        }
        try await c.put(oid: Array("after".utf8), data: [1])
        #expect(!cluster.log().contains("silent for"), "the busy slot was declared dead:\n\(cluster.log().suffix(2000))")
    }
}
