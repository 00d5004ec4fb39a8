// A primitive read of an object that does not exist answers -ENOENT, as RADOS does.
import Client
import Codec
import Testing

@Suite(.serialized, .timeLimit(.minutes(1))) struct PrimitiveReadTests {
    @Test func readOfAMissingObjectIsENOENT() async throws {
        let cluster = try ClusterHarness(workers: 1)
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client()
        let missing = try await client.send(oid: Array("absent".utf8), ops: [.read(offset: 0, length: 0)])
        #expect(missing.rc == Errno.ENOENT.rc, "\(missing)")
        try await client.put(oid: Array("present".utf8), data: [])
        let empty = try await client.send(oid: Array("present".utf8), ops: [.read(offset: 0, length: 0)])
        #expect(empty.rc == 0, "an empty object reads as empty: \(empty)")
    }
}
