// The status document as readers see it: every field the broker writes is documented in
// docs/protocol.md §11, and it decodes back into the one shared type.
import BrokerCore
import Codec
import Foundation
import Testing

@Suite struct StatusDocumentTests {
    static let sample: BrokerStatus = {
        var status = BrokerStatus.empty
        status.clientEndpoint = "tcp://127.0.0.1:7700"
        status.workers = [BrokerStatus.Worker(id: "w-1", worker: "w", pid: 1, host: "h", thread: 0, threads: 1, state: "serving",
                                              shards: [0], movingShards: [], inflight: 0, silentMillis: 0, replies: 0,
                                              latencyMicros: LatencySummary())]
        status.handlers = [HandlerStats(name: "ops", count: 1, errors: 0, p50Micros: 1, p99Micros: 1)]
        status.clients = [BrokerStatus.Client(id: "00deadbeef", inflight: 3, queued: 1, unreadReplyBytes: 4096)]
        status.clientCount = 1
        return status
    }()

    static func keys(_ value: Any) -> Set<String> {
        if let map = value as? [String: Any] {
            return map.reduce(into: Set(map.keys)) { set, entry in
                // byShard and errorsByKind are keyed by data, not by field names.
                if entry.key != "byShard" && entry.key != "errorsByKind" { set.formUnion(keys(entry.value)) }
            }
        }
        if let list = value as? [Any] { return list.reduce(into: Set()) { $0.formUnion(keys($1)) } }
        return []
    }

    @Test func everyFieldIsDocumented() throws {
        let page = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/protocol.md"), encoding: .utf8)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.sample))
        let fields = Self.keys(json)
        #expect(fields.count > 20)
        for field in fields.sorted() {
            #expect(page.contains("`\(field)`"), "status field \(field) not in docs/protocol.md")
        }
    }

    @Test func roundTripsThroughTheSharedType() throws {
        let data = try JSONEncoder().encode(Self.sample)
        #expect(try JSONDecoder().decode(BrokerStatus.self, from: data) == Self.sample)
    }
}
