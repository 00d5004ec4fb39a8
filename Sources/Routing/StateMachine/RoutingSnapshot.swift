// A read-only picture of the routing state, for the admin status and tests.
import Codec

public struct RoutingSnapshot: Sendable, Equatable {
    public struct Slot: Sendable, Equatable {
        public var id: SlotID
        public var info: ReadyInfo
        /// Shards it serves.
        public var serving: [Int]
        /// Shards assigned and not yet opened, or being released by it.
        public var moving: [Int]
        public var inflight: Int
        /// Requests waiting for room in its window.
        public var waiting: Int
        public var silentNanos: UInt64
    }

    /// One client with requests in the broker.
    public struct Client: Sendable, Equatable {
        /// Its ZeroMQ routing id.
        public var id: Bytes
        /// Accepted and unanswered (queued + at workers).
        public var pending: Int
        /// Of those, waiting in the broker's queues.
        public var queued: Int
    }

    public var epoch: UInt64
    public var shardCount: Int
    public var slots: [Slot]
    /// Shards with waiting requests, and how many.
    public var queueDepths: [Int: Int]
    public var queuedTotal: Int
    /// Accepted and unanswered (queued + at workers).
    public var pendingTotal: Int
    public var unownedShards: Int
    public var lateRepliesDropped: UInt64
    /// Requests refused because a shard or slot queue was full.
    public var queueRefusals: UInt64
    /// Every client with pending requests, most pending first.
    public var clients: [Client]
}

extension RoutingStateMachine {
    public func snapshot(now: UInt64) -> RoutingSnapshot {
        var serving: [SlotID: [Int]] = [:]
        var moving: [SlotID: [Int]] = [:]
        var unowned = 0
        for (shard, state) in shards.enumerated() {
            switch state {
            case .unowned: unowned += 1
            case .serving(let s): serving[s, default: []].append(shard)
            case .opening(let s), .releasing(let s, _): moving[s, default: []].append(shard)
            }
        }
        let slotList = slots.keys.sorted().map { id in
            let record = slots[id]!
            return RoutingSnapshot.Slot(id: id, info: record.info, serving: serving[id] ?? [], moving: moving[id] ?? [],
                                        inflight: record.inflight.count, waiting: record.waiting.count,
                                        silentNanos: now > record.lastHeard ? now - record.lastHeard : 0)
        }
        var depths: [Int: Int] = [:]
        for (shard, queue) in queues.enumerated() where !queue.isEmpty { depths[shard] = queue.count }
        return RoutingSnapshot(epoch: epoch, shardCount: settings.shardCount, slots: slotList, queueDepths: depths,
                               queuedTotal: queuedTotal, pendingTotal: pending.count, unownedShards: unowned,
                               lateRepliesDropped: lateRepliesDropped, queueRefusals: queueRefusals,
                               clients: clientFigures())
    }

    /// Pending and queued requests per client, most pending first (ties: routing id order).
    func clientFigures() -> [RoutingSnapshot.Client] {
        var queued: [Bytes: Int] = [:]
        let waiting = queues.flatMap(\.tags) + slots.values.flatMap(\.waiting.tags)
        for tag in waiting { if let client = pending[tag]?.client { queued[client, default: 0] += 1 } }
        return clientInflight.map { RoutingSnapshot.Client(id: $0.key, pending: $0.value, queued: queued[$0.key] ?? 0) }
            .sorted { $0.pending != $1.pending ? $0.pending > $1.pending : $0.id.lexicographicallyPrecedes($1.id) }
    }

    /// The slot serving each shard (nil while unowned or moving).
    public var servingOwners: [SlotID?] {
        shards.map { if case .serving(let s) = $0 { s } else { nil } }
    }
}
