// Every configured bound, through the real cluster with small limits: a request at the limit
// is served, one just past it gets the documented errno and kind, and the next one is served.
import Client
import Codec
import Foundation
import Testing
import ZeroMQ

@Suite(.serialized, .timeLimit(.minutes(3))) struct BoundsTests {
    static let limits: [String: String] = [
        "SEPIA_BROKER_MAX_FRAME_BYTES": "65536",
        "SEPIA_LIMITS_MAX_OBJECT_BYTES": "4096",
        "SEPIA_LIMITS_MAX_XATTR_BYTES": "256",
        "SEPIA_LIMITS_MAX_OMAP_ENTRIES_PER_REQUEST": "8",
        "SEPIA_LIMITS_MAX_OMAP_BYTES_PER_REQUEST": "1024",
        "SEPIA_LUA_MAX_SCRIPT_BYTES": "512",
        "SEPIA_BROKER_CLIENT_INFLIGHT_MAX": "4",
        // A stopped worker stays registered for the in-flight test.
        "SEPIA_BROKER_HEARTBEAT_LIVENESS": "100",
    ]

    /// Runs `ops` on `oid` and checks the reply: rc 0, or the given errno and kind.
    static func expect(_ client: SepiaClient, _ oid: String, _ ops: [Op], rc: Int32 = 0, kind: ErrorKind? = nil,
                       _ what: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let reply = try await client.send(oid: Array(oid.utf8), ops: ops)
        #expect(reply.rc == rc, "\(what): \(reply)", sourceLocation: sourceLocation)
        #expect(reply.error?.kind == kind, "\(what): \(String(describing: reply.error))", sourceLocation: sourceLocation)
        // The next request is served.
        try await client.put(oid: Array("next".utf8), data: Array(what.utf8))
        #expect(try await client.get(oid: Array("next".utf8)) == Array(what.utf8), sourceLocation: sourceLocation)
    }

    static func bytes(_ n: Int, _ fill: UInt8 = 0x61) -> Bytes { Bytes(repeating: fill, count: n) }

    @Test func objectXattrOmapAndScriptBounds() async throws {
        let cluster = try ClusterHarness(workers: 1, shards: 4, environment: Self.limits)
        try await cluster.waitReady(slots: 1)
        let c = try cluster.client(retries: 0)

        try await Self.expect(c, "obj", [.writeFull(data: Self.bytes(4096))], "object at the limit")
        try await Self.expect(c, "obj", [.writeFull(data: Self.bytes(4097))], rc: Errno.EFBIG.rc, kind: .limit, "object past it")
        try await Self.expect(c, "obj", [.append(data: [1])], rc: Errno.EFBIG.rc, kind: .limit, "append past it")
        try await Self.expect(c, "obj", [.write(offset: 4096, data: [1])], rc: Errno.EFBIG.rc, kind: .limit, "write past it")
        #expect(try await c.get(oid: Array("obj".utf8)) == Self.bytes(4096), "the refused writes changed nothing")

        // xattr: name and value together.
        try await Self.expect(c, "obj", [.setXattr(name: [0x6e], value: Self.bytes(255))], "xattr at the limit")
        try await Self.expect(c, "obj", [.setXattr(name: [0x6e], value: Self.bytes(256))], rc: Errno.E2BIG.rc, kind: .limit, "xattr past it")

        let entries = { (n: Int, size: Int) in (0..<n).map { KeyValue(Array(String(format: "k%03d", $0).utf8), Self.bytes(size - 4)) } }
        try await Self.expect(c, "omap", [.omapSet(entries: entries(8, 8))], "omap entries at the limit")
        try await Self.expect(c, "omap", [.omapSet(entries: entries(9, 8))], rc: Errno.E2BIG.rc, kind: .limit, "omap entries past it")
        try await Self.expect(c, "omap", [.omapRemoveKeys(keys: (0..<9).map { [UInt8($0)] })], rc: Errno.E2BIG.rc, kind: .limit, "omap removal past it")
        try await Self.expect(c, "omap", [.omapGetValsByKeys(keys: (0..<9).map { [UInt8($0)] })], rc: Errno.E2BIG.rc, kind: .limit, "omap read past it")
        try await Self.expect(c, "omap2", [.omapSet(entries: entries(4, 256))], "omap bytes at the limit")
        try await Self.expect(c, "omap2", [.omapSet(entries: entries(4, 256) + [KeyValue([0x7a], [])])], rc: Errno.E2BIG.rc, kind: .limit, "omap bytes past it")
        // The bound is per request: several ops may not add up past it.
        try await Self.expect(c, "omap3", [.omapSet(entries: entries(8, 8)), .omapSet(entries: entries(8, 8).map { KeyValue($0.key + [0x21], $0.value) })],
                              rc: Errno.E2BIG.rc, kind: .limit, "omap entries over two ops")

        let handler = "function h(i, o) o:append('ok') end cls.register(h)\n"
        let atLimit = handler + "--" + String(repeating: "x", count: 512 - handler.utf8.count - 2)
        #expect(atLimit.utf8.count == 512)
        let ran = try await c.exec(oid: Array("lua".utf8), script: Array(atLimit.utf8), handler: "h")
        #expect(ran.rc == 0, "script at the limit: \(ran)")
        let big = try await c.exec(oid: Array("lua".utf8), script: Array((atLimit + "x").utf8), handler: "h")
        #expect(big.rc == Errno.E2BIG.rc && big.error?.kind == .limit, "script past it: \(big)")
        try await Self.expect(c, "lua", [.stat], rc: Errno.ENOENT.rc, kind: .op, "after the script")
    }

    @Test func frameBoundAtTheBroker() async throws {
        let cluster = try ClusterHarness(workers: 1, shards: 4, environment: Self.limits)
        try await cluster.waitReady(slots: 1)
        let raw = try Socket(.dealer)
        defer { raw.close() }
        try raw.connect(cluster.clientEndpoint)
        func answer(_ body: Bytes) throws -> Reply? {
            try raw.send([[], body])
            guard try raw.waitReadable(timeoutMillis: 5000), let frames = try raw.receive(dontWait: true),
                  let last = frames.last else { return nil }
            return try Reply.decode(last, limits: DecodeLimits())
        }
        // At the limit the frame is read and refused for what it says (garbage), not its size.
        let at = try answer(Self.bytes(65536, 0xc1))
        #expect(at?.rc == Errno.EBADMSG.rc && at?.error?.kind == .decode, "\(String(describing: at))")
        let past = try answer(Self.bytes(65537, 0xc1))
        #expect(past?.rc == Errno.EMSGSIZE.rc && past?.error?.kind == .decode, "\(String(describing: past))")

        // A well-formed request past the limit, through the client library, and the next one.
        let c = try cluster.client(timeout: .seconds(5), retries: 0)
        do {
            try await c.put(oid: Array("huge".utf8), data: Self.bytes(70_000))
            Issue.record("a 70 kB frame was accepted")
        } catch {
            #expect(error.rc == Errno.EMSGSIZE.rc && error.kind == .decode, "\(error)")
        }
        try await c.put(oid: Array("small".utf8), data: [1])
        // Far past the limit libzmq drops the connection before reading it; the client
        // reconnects and is served.
        let impatient = try cluster.client(timeout: .milliseconds(1500), retries: 0)
        do {
            try await impatient.put(oid: Array("huger".utf8), data: Self.bytes(4 << 20))
            Issue.record("a 4 MiB frame was accepted past a 64 KiB bound")
        } catch {
            #expect(error.rc == Errno.EMSGSIZE.rc || error.rc == Errno.ETIMEDOUT.rc, "\(error)")
        }
        let after = try cluster.client(timeout: .seconds(5), retries: 2)
        try await after.put(oid: Array("small".utf8), data: [2])
        #expect(try await after.get(oid: Array("small".utf8)) == [2])
    }

    /// A reply past the frame bound (a whole-object read of an object written in pieces) is
    /// refused by the worker, and the slot stays connected.
    @Test func replyPastTheFrameBound() async throws {
        let cluster = try ClusterHarness(workers: 1, shards: 4, environment: ["SEPIA_BROKER_MAX_FRAME_BYTES": "65536"])
        try await cluster.waitReady(slots: 1)
        let c = try cluster.client(timeout: .seconds(5), retries: 0)
        for i in 0..<3 { try await Self.expect(c, "big", [.append(data: Self.bytes(30_000, UInt8(i)))], "append \(i)") }
        try await Self.expect(c, "big", [.read(offset: 0, length: 0)], rc: Errno.EMSGSIZE.rc, kind: .limit, "reply past the bound")
        let part = try await c.send(oid: Array("big".utf8), ops: [.read(offset: 30_000, length: 30_000)])
        #expect(part.rc == 0 && part.results == [.data(Self.bytes(30_000, 1))], "a ranged read fits")
        #expect(!cluster.log().contains("removed"), "the slot stayed connected:\n\(cluster.log().suffix(2000))")
    }

    @Test func inflightBoundPerClient() async throws {
        let cluster = try ClusterHarness(workers: 1, shards: 4, environment: Self.limits)
        try await cluster.waitReady(slots: 1)
        let c = try cluster.client(timeout: .seconds(20), retries: 0)
        try await c.put(oid: Array("warm".utf8), data: [0])
        let worker = cluster.workerProcesses[0]
        // A frozen worker holds every dispatched request: the fifth and sixth are refused.
        cluster.kill(worker, signal: SIGSTOP)
        let rcs = Mutex2<[Int32]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<6 {
                group.addTask {
                    let r = try await c.send(oid: Array("inflight-\(i)".utf8), ops: [.writeFull(data: [UInt8(i)])])
                    rcs.with { $0.append(r.rc) }
                    if r.rc < 0 { #expect(r.error?.kind == .busy, "\(r)") }
                }
            }
            // The refusals come while the worker is still stopped.
            try await eventually("two refusals") { rcs.with { $0.count } >= 2 }
            #expect(rcs.with { $0 } == [Errno.EBUSY.rc, Errno.EBUSY.rc])
            cluster.kill(worker, signal: SIGCONT)
            try await group.waitForAll()
        }
        #expect(rcs.with { $0.filter { $0 == 0 }.count } == 4, "\(rcs.with { $0 })")
        try await c.put(oid: Array("next".utf8), data: [9])
        #expect(try await c.get(oid: Array("next".utf8)) == [9])
    }
}
