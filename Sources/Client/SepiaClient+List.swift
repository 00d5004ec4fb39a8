// Listing every object: one paginated walk per shard (objects live in their shard's store).
import Codec
import Foundation

extension SepiaClient {
    /// The cluster's shard count, from the broker's status.
    public func shardCount() async throws(ClientError) -> UInt32 {
        let body = try await status()
        guard let status = try? JSONDecoder().decode(BrokerStatus.self, from: Data(body)),
              let count = UInt32(exactly: status.shardCount), count > 0 else {
            throw .connection("the broker's status has no shard count")
        }
        return count
    }

    /// One page of a shard's object names, strictly after `startAfter`.
    public func listShard(_ shard: UInt32, startAfter: Bytes, prefix: Bytes, max: UInt64) async throws(ClientError) -> (names: [Bytes], more: Bool) {
        let reply = try await send(oid: [], ops: [.listObjects(startAfter: startAfter, prefix: prefix, max: max)],
                                   options: RequestOptions(readOnly: true), shard: shard)
        if reply.rc < 0 { throw .failed(reply) }
        guard case .keys(let names, let more)? = reply.results.first else { return ([], false) }
        return (names, more)
    }

    /// Calls `body` with every object name (per shard in byte order), page by page.
    public func listObjects(prefix: Bytes = [], pageSize: UInt64 = 1000,
                            _ body: ([Bytes]) throws -> Void) async throws {
        let shards = try await shardCount()
        for shard in 0..<shards {
            var after: Bytes = []
            while true {
                let page = try await listShard(shard, startAfter: after, prefix: prefix, max: pageSize)
                if !page.names.isEmpty { try body(page.names) }
                guard page.more, let last = page.names.last else { break }
                after = last
            }
        }
    }
}
