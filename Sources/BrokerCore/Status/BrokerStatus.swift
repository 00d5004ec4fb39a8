// The admin "status" document (JSON, so it does not depend on the wire codec).
import Codec
import Foundation
import Routing

public struct LatencySummary: Codable, Sendable, Equatable {
    public var samples: Int = 0
    public var p50: Double = 0
    public var p90: Double = 0
    public var p99: Double = 0
    public var max: Double = 0
}

public struct BrokerStatus: Codable, Sendable, Equatable {
    public struct Worker: Codable, Sendable, Equatable {
        /// The slot's routing id.
        public var id: String
        public var worker: String
        public var pid: Int32
        public var host: String
        public var thread: UInt32
        public var threads: UInt32
        /// "serving", "joining" (shards assigned, none open yet) or "idle".
        public var state: String
        public var shards: [Int]
        public var movingShards: [Int]
        public var inflight: Int
        public var silentMillis: Double
        public var replies: UInt64
        /// Dispatch-to-reply time at the broker, microseconds, over recent replies.
        public var latencyMicros: LatencySummary
    }

    /// One handler, class method or plain op request across the live slots: counts summed,
    /// p50 the count-weighted mean of the slots' p50s, p99 the largest slot p99.
    public struct Handler: Codable, Sendable, Equatable {
        public var name: String
        public var count: UInt64
        public var errors: UInt64
        public var p50Micros: UInt64
        public var p99Micros: UInt64
    }

    public struct Queues: Codable, Sendable, Equatable {
        public var total: Int
        /// Shard number (as a string: JSON keys) -> waiting requests; only non-empty queues.
        public var byShard: [String: Int]
    }

    public var clientEndpoint: String
    public var workerEndpoint: String
    public var epoch: UInt64
    public var shardCount: Int
    public var unownedShards: Int
    public var workers: [Worker]
    public var queues: Queues
    public var pending: Int
    public var requests: UInt64
    public var requestsPerSecond: Double
    public var repliesForwarded: UInt64
    public var errorsByKind: [String: UInt64]
    public var lateRepliesDropped: UInt64
    public var malformedFrames: UInt64
    public var undeliverable: UInt64
    /// CURVE handshakes refused by the allow-lists.
    public var authRejected: UInt64
    /// Latency by handler/class, as the workers report it.
    public var handlers: [Handler] = []

    public static let empty = BrokerStatus(
        clientEndpoint: "", workerEndpoint: "", epoch: 0, shardCount: 0, unownedShards: 0, workers: [],
        queues: Queues(total: 0, byShard: [:]), pending: 0, requests: 0, requestsPerSecond: 0, repliesForwarded: 0,
        errorsByKind: [:], lateRepliesDropped: 0, malformedFrames: 0, undeliverable: 0, authRejected: 0)
}

extension BrokerStatus {
    // In an extension so the memberwise initializer stays available.
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
