// Workers join and leave (SIGTERM, SIGKILL) while a Lua exec stream runs: every request gets
// a successful reply carrying its own output, and every append is applied exactly once.
import Client
import Codec
import Foundation
import Testing

@Suite(.serialized) struct ScalingTests {
    static let appendScript = Bytes("""
    function add(input, output)
      cls.append(input)
      output:append(input:str())
    end
    cls.register(add)
    """.utf8)

    @Test func workersJoinAndLeaveDuringExecStream() async throws {
        let cluster = try ClusterHarness(workers: 1, shards: 16)
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client(timeout: .seconds(2), retries: 20)
        let count = 800, objects = 8
        let first = cluster.workerProcesses[0]
        // Membership changes at fixed points of the stream, each made once by whichever lane
        // passes it first: two joins, a graceful leave of the original worker, then a crash.
        let done = Mutex2<Set<Int>>([])
        let joined = Mutex2<[Process]>([])
        func once(_ step: Int) -> Bool { done.with { $0.insert(step).inserted } }
        let result = await ClusterTests.appendStream(
            client, count: count, objects: objects,
            ops: { [.exec(script: .source(Self.appendScript), handler: "add", input: $0)] }, echoesToken: true
        ) { i in
            if i >= 100, once(1), let p = try? cluster.addWorker() { joined.with { $0.append(p) } }
            if i >= 250, once(2), let p = try? cluster.addWorker() { joined.with { $0.append(p) } }
            if i >= 400, once(3) { cluster.kill(first, signal: SIGTERM) }
            if i >= 550, once(4), let p = joined.with({ $0.first }) { cluster.kill(p, signal: SIGKILL) }
        }

        #expect(done.with { $0 } == [1, 2, 3, 4], "every membership change happened during the stream")
        #expect(result.failed == 0, "every request got a successful reply with its own output")
        #expect(result.acked.count == count)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0, "SIGTERM is a clean exit")
        // The survivor owns every shard; every token is there exactly once.
        try await cluster.waitReady(slots: 1)
        try await ClusterTests.verifyExactlyOnce(client, acked: result.acked, objects: objects)
    }
}
