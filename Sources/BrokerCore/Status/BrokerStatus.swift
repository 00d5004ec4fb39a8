// The status document (Codec.BrokerStatus) built from the routing snapshot and the metrics.
import Codec
import Foundation
import Routing

extension BrokerStatus {
    init(snapshot: RoutingSnapshot, metrics: BrokerMetrics, authRejected: UInt64, clientEndpoint: String, workerEndpoint: String) {
        let workers = snapshot.slots.map { slot in
            Worker(id: slot.id.description, worker: slot.info.worker, pid: slot.info.pid, host: slot.info.host,
                   thread: slot.info.thread, threads: slot.info.threads,
                   state: !slot.serving.isEmpty ? "serving" : (slot.moving.isEmpty ? "idle" : "joining"),
                   shards: slot.serving, movingShards: slot.moving, inflight: slot.inflight,
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
