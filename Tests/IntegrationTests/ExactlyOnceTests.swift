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
}
