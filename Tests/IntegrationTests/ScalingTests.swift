// Workers join and leave (SIGTERM, SIGKILL) while a Lua exec stream runs: every request gets
// a successful reply carrying its own output, and every append is applied exactly once.
import Client
import Codec
import Foundation
import Spawn
import Testing

@Suite(.serialized, .timeLimit(.minutes(5))) struct ScalingTests {
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
        let count = 3000, objects = 8
        let first = cluster.workerProcesses[0]
        // Membership changes at fixed points of the stream, each made once by the lane that
        // passes it first, which waits until the change took effect while the other lanes
        // keep streaming: two joins, a graceful leave of the original worker, then a crash.
        let done = Mutex2<Set<Int>>([])
        let joined = Mutex2<[Child]>([])
        let once: @Sendable (Int) -> Bool = { step in done.with { $0.insert(step).inserted } }
        // Requests answered so far, and how many had been answered when each change completed.
        let answered = Mutex2(0)
        let answeredAtChange = Mutex2<[Int]>([])
        let result = await ClusterTests.appendStream(
            client, count: count, objects: objects,
            ops: { [.exec(script: .source(Self.appendScript), handler: "add", input: $0)] }, echoesToken: true
        ) { i in
            answered.with { $0 += 1 }
            defer { if done.with({ $0.count }) > answeredAtChange.with({ $0.count }) { answeredAtChange.with { $0.append(answered.with { $0 }) } } }
            if i >= 300, once(1), let p = try? cluster.addWorker() {
                joined.with { $0.append(p) }
                try? await cluster.waitReady(slots: 2)
            }
            if i >= 900, once(2), let p = try? cluster.addWorker() {
                joined.with { $0.append(p) }
                try? await cluster.waitReady(slots: 3)
            }
            if i >= 1500, once(3) {
                cluster.kill(first, signal: SIGTERM)
                try? await eventually("the first worker to exit", timeout: .seconds(30), interval: .milliseconds(10)) { !first.isRunning }
            }
            if i >= 2100, once(4), let p = joined.with({ $0.first }) { cluster.kill(p, signal: SIGKILL) }
        }

        #expect(done.with { $0 } == [1, 2, 3, 4])
        let marks = answeredAtChange.with { $0 }
        #expect(marks.count == 4 && marks.allSatisfy { $0 < count - 100 },
                "every membership change completed while the stream was running: \(marks)")
        #expect(result.failed == 0, "every request got a successful reply with its own output")
        #expect(result.acked.count == count)
        try await Blocking.run { first.waitUntilExit() }
        #expect(first.terminationStatus == 0, "SIGTERM is a clean exit")
        // The survivor owns every shard; every token is there exactly once.
        try await cluster.waitReady(slots: 1)
        try await ClusterTests.verifyExactlyOnce(client, acked: result.acked, objects: objects)
    }
}
