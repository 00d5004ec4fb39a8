// A thread stuck in a call no limit can interrupt: the worker's watchdog replaces the process
// (same pid, new slot names), its shards are released with the old image, the request that
// wedged it is refused as poison after its second victim, and every shard serves again within
// seconds. The stuck call is injected (SEPIA_OSD_FAULT_WEDGE_HANDLER): once the C paths are
// bounded, no script can produce one.
import Client
import Codec
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct WatchdogTests {
    @Test func stuckWorkerReplacesItselfAndTheShardServes() async throws {
        let cluster = try ClusterHarness(workers: 2, threads: 1, shards: 8,
                                         environment: ["SEPIA_OSD_FAULT_WEDGE_HANDLER": "wedge"])
        try await cluster.waitReady(slots: 2)
        let pids = cluster.workerProcesses.map(\.processIdentifier)
        let client = try cluster.client(timeout: .seconds(60), retries: 0)
        let oid = Array("stuck".utf8)
        let script = Array("function wedge(i, o) return 0 end function fine(i, o) o:append('ok') return 0 end cls.register(wedge) cls.register(fine)".utf8)
        let started = ContinuousClock.now
        let result = try await client.exec(oid: oid, script: script, handler: "wedge")
        let took = ContinuousClock.now - started
        #expect(result.rc == Errno.EFAULT.rc && result.error?.kind == .poison, "\(result)")
        // The second victim is answered for as soon as the broker gives it up; its watchdog
        // fires a moment later.
        try await eventually("both wedged processes replaced", timeout: .seconds(15)) {
            cluster.log().components(separatedBy: "stuck in one script call").count - 1 >= 2
        }
        // Both processes still run: replaced in place, not dead.
        #expect(cluster.workerProcesses.allSatisfy { $0.isRunning })
        #expect(cluster.workerProcesses.map(\.processIdentifier) == pids)
        // Every shard serves again (the replaced images re-registered and reopened them).
        try await cluster.waitReady(slots: 2)
        let retry = try cluster.client(timeout: .seconds(5), retries: 3)
        let ok = try await retry.exec(oid: oid, script: script, handler: "fine")
        #expect(ok.rc == 0 && ok.output == Array("ok".utf8), "\(ok)")
        for i in 0..<16 {
            try await retry.put(oid: Array("after-\(i)".utf8), data: [UInt8(i)])
        }
        print("watchdog: poison answer after \(took) (two wedges, two process replacements)")
    }
}
