// A request that loses its worker twice is refused as poison: three real workers, a slow
// script, and the worker running it SIGKILLed each time it starts. The client gets -EFAULT kind
// `poison` and the shard serves at once (retries of the same id are covered by PoisonTests).
import Client
import Codec
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct PoisonContainmentTests {
    /// The pid of the worker whose slot has a request in flight, other than `excluding`.
    static func runningWorker(_ cluster: ClusterHarness, excluding: Set<Int>) async throws -> Int? {
        let worker = try await cluster.status().workers.first { $0.inflight > 0 && !excluding.contains(Int($0.pid)) }
        return worker.map { Int($0.pid) }
    }

    @Test func requestKillingTwoWorkersIsRefusedAndTheShardServes() async throws {
        // A 3 s limit leaves time to find and kill the worker while the loop runs.
        let cluster = try ClusterHarness(workers: 3, threads: 1, shards: 8,
                                         environment: ["SEPIA_LUA_TIME_LIMIT_MS": "3000",
                                                       "SEPIA_LUA_INSTRUCTION_LIMIT": "1000000000000"])
        try await cluster.waitReady(slots: 3)
        let client = try cluster.client(timeout: .seconds(40), retries: 0)
        let oid = Array("bomb".utf8)
        let loop = Array("function h(i, o) while true do end end cls.register(h)".utf8)
        let attempt = Task { try await client.exec(oid: oid, script: loop, handler: "h") }
        var killed: Set<Int> = []
        for round in 1...2 {
            let pid = try await eventuallyValue("the request running (round \(round))", timeout: .seconds(15)) {
                try await Self.runningWorker(cluster, excluding: killed)
            }
            kill(Int32(pid), SIGKILL)
            killed.insert(pid)
        }
        let result = try await attempt.value
        #expect(result.rc == Errno.EFAULT.rc && result.error?.kind == .poison, "\(result)")
        #expect(result.error?.message.contains("(oid 'bomb'") == true, "\(result)")
        // The shard keeps serving on the last worker.
        try await client.put(oid: oid, data: Array("fine".utf8))
        #expect(try await client.get(oid: oid) == Array("fine".utf8))
    }
}
