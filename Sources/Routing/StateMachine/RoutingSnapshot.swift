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
        public var silentNanos: UInt64
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
                                        inflight: record.inflight.count,
                                        silentNanos: now > record.lastHeard ? now - record.lastHeard : 0)
        }
        var depths: [Int: Int] = [:]
        for (shard, queue) in queues.enumerated() where !queue.isEmpty { depths[shard] = queue.count }
        return RoutingSnapshot(epoch: epoch, shardCount: settings.shardCount, slots: slotList, queueDepths: depths,
                               queuedTotal: queuedTotal, pendingTotal: pending.count, unownedShards: unowned,
                               lateRepliesDropped: lateRepliesDropped)
    }

    /// The slot serving each shard (nil while unowned or moving).
    public var servingOwners: [SlotID?] {
        shards.map { if case .serving(let s) = $0 { s } else { nil } }
    }
}
