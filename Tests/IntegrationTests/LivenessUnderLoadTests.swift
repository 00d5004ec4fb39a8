// Sixteen scripts that each run to the Lua time limit on a four-slot cluster: every slot stays
// registered (busy is not dead), each script gets its timeout answer once, and a normal
// request is answered afterwards.
import Client
import Codec
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct LivenessUnderLoadTests {
    @Test func sixteenTimeLimitedScriptsLeaveEverySlotAlive() async throws {
        let cluster = try ClusterHarness(workers: 2, threads: 2, shards: 8,
                                         environment: ["SEPIA_LUA_TIME_LIMIT_MS": "800", "SEPIA_LUA_INSTRUCTION_LIMIT": "1000000000000"])
        try await cluster.waitReady(slots: 4)
        let before = try await cluster.status().workers.map(\.id).sorted()
        let c = try cluster.client(timeout: .seconds(30), retries: 0)
        let loop = Array("function h(i, o) while true do end end cls.register(h)".utf8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<16 {
                group.addTask {
                    let r = try await c.exec(oid: Array("slow-\(i)".utf8), script: loop, handler: "h")
                    #expect(r.rc == Errno.ETIMEDOUT.rc && r.error?.kind == .timeout, "\(r)")
                }
            }
            try await group.waitForAll()
        }
        try await c.put(oid: Array("after".utf8), data: [1])
        #expect(try await cluster.status().workers.map(\.id).sorted() == before, "a slot was replaced")
        #expect(!cluster.log().contains("silent for"), "a busy slot was declared dead:\n\(cluster.log().suffix(2000))")
    }
}
