// The status document (Codec.BrokerStatus) built from the routing snapshot and the metrics.
import Codec
import Foundation
import Routing

extension BrokerStatus {
    init(snapshot: RoutingSnapshot, metrics: BrokerMetrics, budget: ReplyBudget, bounds: Bounds, authRejected: UInt64,
         clientEndpoint: String, workerEndpoint: String) {
        let workers = snapshot.slots.map { slot in
            Worker(id: slot.id.description, worker: slot.info.worker, pid: slot.info.pid, host: slot.info.host,
                   thread: slot.info.thread, threads: slot.info.threads,
                   state: !slot.serving.isEmpty ? "serving" : (slot.moving.isEmpty ? "idle" : "joining"),
                   shards: slot.serving, movingShards: slot.moving, inflight: slot.inflight, queued: slot.waiting,
                   silentMillis: Double(slot.silentNanos) / 1e6,
                   replies: metrics.latency[slot.id]?.total ?? 0,
                   latencyMicros: metrics.latency[slot.id]?.summary() ?? LatencySummary())
        }
        self.init(clientEndpoint: clientEndpoint, workerEndpoint: workerEndpoint, epoch: snapshot.epoch,
                  shardCount: snapshot.shardCount, unownedShards: snapshot.unownedShards, workers: workers,
                  queues: Queues(total: snapshot.queuedTotal,
                                 byShard: Dictionary(uniqueKeysWithValues: snapshot.queueDepths.map { (String($0.key), $0.value) })),
                  pending: snapshot.pendingTotal, requests: metrics.requests,
                  requestsPerSecond: metrics.requestsPerSecond, repliesForwarded: metrics.forwarded,
                  errorsByKind: Dictionary(uniqueKeysWithValues: metrics.errorsByKind.map { ($0.key.rawValue, $0.value) }),
                  lateRepliesDropped: snapshot.lateRepliesDropped, malformedFrames: metrics.malformedFrames,
                  undeliverable: metrics.undeliverable, authRejected: authRejected,
                  handlers: Self.merge(metrics.handlers.values.flatMap { $0 }))
        let everyone = Self.clients(snapshot.clients, unread: budget.unread)
        clients = Array(everyone.prefix(Self.topClients))
        clientCount = everyone.count
        unreadReplyBytes = budget.total
        replyBudgetRefused = budget.refused
        queueRefused = snapshot.queueRefusals
        self.bounds = bounds
    }

    /// Every client with requests in the broker or unread replies: most unread bytes first,
    /// then most in flight.
    static func clients(_ routing: [RoutingSnapshot.Client], unread: [(client: [UInt8], bytes: Int64)]) -> [Client] {
        var byID: [[UInt8]: Client] = [:]
        func hex(_ id: [UInt8]) -> String { id.map { String(format: "%02x", $0) }.joined() }
        for c in routing { byID[c.id] = Client(id: hex(c.id), inflight: c.pending, queued: c.queued, unreadReplyBytes: 0) }
        for (id, bytes) in unread { byID[id, default: Client(id: hex(id), inflight: 0, queued: 0, unreadReplyBytes: 0)].unreadReplyBytes = bytes }
        return byID.values.sorted {
            ($0.unreadReplyBytes, $0.inflight, $1.id) > ($1.unreadReplyBytes, $1.inflight, $0.id)
        }
    }

    static func merge(_ reports: [HandlerStats]) -> [Handler] {
        var byName: [String: (count: UInt64, errors: UInt64, weighted: Double, p99: UInt64)] = [:]
        for r in reports {
            var e = byName[r.name] ?? (0, 0, 0, 0)
            e.count += r.count
            e.errors += r.errors
            e.weighted += Double(r.p50Micros) * Double(r.count)
            e.p99 = max(e.p99, r.p99Micros)
            byName[r.name] = e
        }
        return byName.map { name, e in
            Handler(name: name, count: e.count, errors: e.errors,
                    p50Micros: e.count > 0 ? UInt64(e.weighted / Double(e.count)) : 0, p99Micros: e.p99)
        }.sorted { $0.count > $1.count }
    }
}
