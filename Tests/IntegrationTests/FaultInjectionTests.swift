// Faults injected into the real processes: workers killed again and again mid-stream, a worker
// frozen past its heartbeat and thawed, a shard's disk filling up. SEPIA_SOAK=1 makes the
// kill test long (many more kills and writes).
import Client
import Codec
import Foundation
import Spawn
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct FaultInjectionTests {
    static let soak = ProcessInfo.processInfo.environment["SEPIA_SOAK"] == "1"

    @Test func repeatedWorkerKillsLoseNoAcknowledgedWrite() async throws {
        let kills = Self.soak ? 40 : 6
        let writes = Self.soak ? 20_000 : 1_500
        let cluster = try ClusterHarness(workers: 2, shards: 16)
        try await cluster.waitReady(slots: 2)
        let client = try cluster.client(timeout: .seconds(2), retries: 20)
        let done = Mutex2(0)
        let every = writes / (kills + 1)
        let result = await ClusterTests.appendStream(client, count: writes, objects: 8) { i in
            guard i > 0, i % every == 0, done.with({ $0 }) < kills else { return }
            done.with { $0 += 1 }
            // Kill the oldest live worker and start a replacement, so two stay most of the time.
            guard let victim = cluster.workerProcesses.first(where: { $0.isRunning }) else { return }
            cluster.kill(victim)
            _ = try? cluster.addWorker()
        }
        #expect(done.with { $0 } == kills)
        #expect(result.failed == 0, "every request got a successful reply after retries")
        #expect(result.acked.count == writes)
        try await ClusterTests.verifyExactlyOnce(client, acked: result.acked, objects: 8)
    }

    @Test func frozenWorkerIsFencedWhenItThaws() async throws {
        let cluster = try ClusterHarness(workers: 2, shards: 8)
        try await cluster.waitReady(slots: 2)
        let client = try cluster.client(timeout: .seconds(2), retries: 30)
        let frozen = cluster.workerProcesses[0]
        let pid = Int(frozen.processIdentifier)
        let stopped = Mutex2(false)
        async let stream = ClusterTests.appendStream(client, count: 600, objects: 8) { i in
            if i >= 150 && stopped.with({ let was = $0; $0 = true; return !was }) {
                cluster.kill(frozen, signal: SIGSTOP)
            }
        }
        // Frozen past its heartbeat (100 ms x 4): the broker drops its slot and moves its shards.
        var gone = false
        try? await eventually("the frozen worker's slot dropped", interval: .milliseconds(50)) { () async throws -> Bool in
            if stopped.with({ $0 }), let doc = try? await cluster.statusDocument(),
               let workers = doc["workers"] as? [[String: Any]] {
                gone = !workers.contains { ($0["pid"] as? Int) == pid }
            }
            return gone
        }
        #expect(gone, "the frozen worker's slot was dropped")
        let doc = try await cluster.statusDocument()
        let owners = (doc["workers"] as? [[String: Any]] ?? []).flatMap {
            (($0["shards"] as? [Int]) ?? []) + (($0["movingShards"] as? [Int]) ?? [])
        }
        #expect(Set(owners).count == 8, "every shard is assigned to the live worker: \(doc)")
        // Thaw it: it must notice it was dropped, close its shards and register afresh.
        cluster.kill(frozen, signal: SIGCONT)
        let result = await stream
        #expect(result.failed == 0)
        #expect(result.acked.count == 600)
        try await ClusterTests.verifyExactlyOnce(client, acked: result.acked, objects: 8)
        #expect(frozen.isRunning)
        #expect(cluster.log().contains("closing shards and re-registering") || cluster.log().contains("broker says disconnect"),
                "the thawed worker fenced itself")
        // It comes back as a new slot, and each shard has exactly one owner again.
        try await cluster.waitReady(slots: 2)
        let after = try await cluster.statusDocument()["workers"] as? [[String: Any]] ?? []
        let shards = after.flatMap { ($0["shards"] as? [Int]) ?? [] }
        #expect(shards.count == 8 && Set(shards).count == 8, "\(after)")
        try await ClusterTests.verifyExactlyOnce(client, acked: result.acked, objects: 8)
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func fullDiskAnswersENOSPCAndRecovers() async throws {
        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mount) }
        guard Self.shell("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mount.path) == 0 else {
            Issue.record("cannot mount a tmpfs at \(mount.path)")
            return
        }
        defer { _ = Self.shell("umount", "-l", mount.path) }
        let cluster = try ClusterHarness(workers: 1, shards: 2, dataRoot: mount)
        defer { cluster.stop() }
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client(timeout: .seconds(5), retries: 0)
        let value = { (i: Int) in Bytes(repeating: UInt8(truncatingIfNeeded: i), count: 64 << 10) }
        for i in 0..<8 { try await client.put(oid: Array("before-\(i)".utf8), data: value(i)) }

        // Fill what is left with a file the test can take away again.
        let filler = mount.appendingPathComponent("filler")
        _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        for size in [1 << 20, 64 << 10, 4 << 10, 512] {
            let chunk = Data(count: size)
            while (try? handle.write(contentsOf: chunk)) != nil {}
        }
        try? handle.close()

        var refused = 0, acked: [Int] = []
        for i in 0..<16 {
            let reply = try await client.send(oid: Array("during-\(i)".utf8), ops: [.writeFull(data: value(100 + i))])
            if reply.rc == 0 {
                acked.append(i)
            } else {
                refused += 1
                #expect(reply.rc == Errno.ENOSPC.rc && reply.error?.kind == .storage, "\(reply)")
            }
        }
        #expect(refused > 0, "a full disk refuses writes")
        // Reads still work and nothing written before is damaged.
        for i in 0..<8 { #expect(try await client.get(oid: Array("before-\(i)".utf8)) == value(i)) }

        // Space returns: writes succeed again (the shard may need a moment to reopen).
        try FileManager.default.removeItem(at: filler)
        var recovered = false
        try? await eventually("writes succeed again", timeout: .seconds(15), interval: .milliseconds(100)) { () async throws -> Bool in
            let reply = try await client.send(oid: Array("after".utf8), ops: [.writeFull(data: value(7))])
            recovered = reply.rc == 0
            return recovered
        }
        #expect(recovered, "writes succeed once space returns; log:\n\(cluster.log().suffix(3000))")
        #expect(try await client.get(oid: Array("after".utf8)) == value(7))
        for i in 0..<8 { #expect(try await client.get(oid: Array("before-\(i)".utf8)) == value(i)) }
        for i in acked { #expect(try await client.get(oid: Array("during-\(i)".utf8)) == value(100 + i)) }

        // And from disk: a crash and a fresh worker replay the shards' logs, damage-free.
        let first = cluster.workerProcesses[0]
        cluster.kill(first)
        first.waitUntilExit()
        try cluster.addWorker()
        try await cluster.waitReady(slots: 1)
        let reread = try cluster.client(timeout: .seconds(5), retries: 5)
        for i in 0..<8 { #expect(try await reread.get(oid: Array("before-\(i)".utf8)) == value(i)) }
        for i in acked { #expect(try await reread.get(oid: Array("during-\(i)".utf8)) == value(100 + i)) }
        #expect(try await reread.get(oid: Array("after".utf8)) == value(7))
    }

    @discardableResult
    static func shell(_ arguments: String...) -> Int32 {
        guard let r = try? Child.run("/usr/bin/env", arguments, killAfter: 60) else { return -1 }
        return r.status
    }
}
