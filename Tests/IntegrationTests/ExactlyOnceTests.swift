// Retries reuse the request id, and a repeated id returns the recorded reply.
import Client
import Codec
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(5))) struct ExactlyOnceTests {
    static let counter = Bytes("""
    function incr(input, output)
      local size = cls.stat()
      cls.append(input)
      output:append(tostring(size + #input))
    end
    cls.register(incr)
    """.utf8)

    @Test func repeatedRequestIDReturnsTheRecordedReply() async throws {
        let cluster = try ClusterHarness(workers: 1)
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client()
        try await client.put(oid: Array("ctr".utf8), data: [])
        let id = client.makeRequestID()
        let op = Op.exec(script: .source(Self.counter), handler: "incr", input: Array("x".utf8))
        let first = try await client.send(oid: Array("ctr".utf8), ops: [op], id: id)
        let again = try await client.send(oid: Array("ctr".utf8), ops: [op], id: id)
        #expect(first == again)
        #expect(try await client.get(oid: Array("ctr".utf8)) == Array("x".utf8), "applied once")
        let fresh = try await client.send(oid: Array("ctr".utf8), ops: [op])
        #expect(CallResult(fresh).output == Array("2".utf8))
    }

    @Test func timedOutRequestIsRetriedUnderTheSameIDAndAppliedOnce() async throws {
        let cluster = try ClusterHarness(workers: 1)
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client(timeout: .milliseconds(300), retries: 20)
        try await client.put(oid: Array("slow".utf8), data: [])
        let worker = cluster.workerProcesses[0]
        // Freeze the worker until the client has timed out and resent at least once (same id).
        cluster.kill(worker, signal: SIGSTOP)
        let resumed = Task {
            // The worker resumes whatever happens, so the request can still end.
            defer { cluster.kill(worker, signal: SIGCONT) }
            try await eventually("a resend", timeout: .seconds(120)) { client.retries >= 1 }
        }
        let reply = try await client.send(oid: Array("slow".utf8), ops: [.append(data: Array("once;".utf8))])
        try await resumed.value
        #expect(reply.rc == 0)
        #expect(client.retries >= 1)
        #expect(try await client.get(oid: Array("slow".utf8)) == Array("once;".utf8))
    }

    /// Issue seen: the record was keyed by (client, id) only, so a request reusing an id for
    /// another object or other ops silently got the earlier request's answer. The record keeps
    /// a fingerprint of the oid and ops: such a request is refused (-EEXIST, kind `invalid`)
    /// and changes nothing, while a true retry still gets the recorded reply.
    @Test func aRequestIDReusedForADifferentRequestIsRefusedAndChangesNothing() async throws {
        let cluster = try ClusterHarness(workers: 1)
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client(retries: 0)
        let count = try await client.shardCount()
        let oid = Array("once-a".utf8)
        // Another object on the same shard: records are kept per shard.
        let sibling = (0..<10_000).lazy.map { Array("once-b\($0)".utf8) }
            .first { Placement.shard(of: $0, shardCount: count) == Placement.shard(of: oid, shardCount: count) }!
        let id = client.makeRequestID()
        let first = try await client.send(oid: oid, ops: [.append(data: Array("one;".utf8))], id: id)
        #expect(first.rc == 0, "\(first)")

        for (target, ops) in [(oid, [Op.append(data: Array("two;".utf8))]),
                              (oid, [Op.append(data: Array("one;".utf8)), .setXattr(name: Array("k".utf8), value: [1])]),
                              (sibling, [Op.append(data: Array("one;".utf8))])] {
            let reused = try await client.send(oid: target, ops: ops, id: id)
            #expect(reused.rc == Errno.EEXIST.rc, "\(reused)")
            #expect(reused.error?.kind == .invalid, "\(String(describing: reused.error))")
            #expect(reused.error?.message.contains("reused for a different request") == true, "\(String(describing: reused.error))")
            #expect(reused != first)
        }
        // Nothing of them was applied.
        #expect(try await client.get(oid: oid) == Array("one;".utf8))
        let stat = try await client.send(oid: sibling, ops: [.stat], options: RequestOptions(readOnly: true))
        #expect(stat.rc == Errno.ENOENT.rc, "\(stat)")
        // The same request again is a retry: the recorded reply, applied once.
        let again = try await client.send(oid: oid, ops: [.append(data: Array("one;".utf8))], id: id)
        #expect(again == first)
        #expect(try await client.get(oid: oid) == Array("one;".utf8))
        try RequestBoundsTests.expectWorkersServe(cluster)
        #expect(try await client.send(oid: oid, ops: [.append(data: Array("three;".utf8))]).rc == 0)
        #expect(try await client.get(oid: oid) == Array("one;three;".utf8))
    }
}
