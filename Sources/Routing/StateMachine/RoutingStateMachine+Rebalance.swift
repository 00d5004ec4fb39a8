// Turning the balancer's target map into assign/release messages.

extension RoutingStateMachine {
    /// Rebalances over the live slots and emits what moves: an unowned shard is assigned
    /// directly; a shard held by a live slot is released first and assigned once `released`
    /// comes back, so no two slots ever serve it at once.
    mutating func rebalance(now: UInt64, into actions: inout [RoutingAction]) {
        let live = slots.keys.sorted()
        guard !live.isEmpty else { return }
        var index: [SlotID: Int] = [:]
        for (i, slot) in live.enumerated() { index[slot] = i }
        let targets = ShardBalancer.balance(current: shards.map { $0.target.flatMap { index[$0] } },
                                            slotCount: live.count)

        var assigns: [SlotID: [UInt32]] = [:]
        var releases: [SlotID: [UInt32]] = [:]
        for shard in shards.indices {
            let next = live[targets[shard]]
            switch shards[shard] {
            case .unowned:
                shards[shard] = .opening(next)
                assigns[next, default: []].append(UInt32(shard))
            case .serving(let owner), .opening(let owner):
                // An opening slot may already have opened it: release it either way.
                guard owner != next else { continue }
                shards[shard] = .releasing(from: owner, to: next)
                // Requests waiting at the old owner wait for the new one instead.
                reclaimWaiting(at: owner, shard: shard)
                releases[owner, default: []].append(UInt32(shard))
            case .releasing(let from, _):
                shards[shard] = .releasing(from: from, to: next)
            }
        }
        guard !assigns.isEmpty || !releases.isEmpty else { return }
        epoch += 1
        for (slot, list) in releases.sorted(by: { $0.key < $1.key }) {
            actions.append(.sendControl(slot: slot, .release(epoch: epoch, shards: list)))
        }
        let count = UInt32(settings.shardCount)
        for (slot, list) in assigns.sorted(by: { $0.key < $1.key }) {
            actions.append(.sendControl(slot: slot, .assign(epoch: epoch, shardCount: count, shards: list)))
        }
        actions.append(.log(.info, "epoch \(epoch): \(assigns.values.reduce(0) { $0 + $1.count }) shards assigned, "
            + "\(releases.values.reduce(0) { $0 + $1.count }) released, over \(live.count) slots"))
    }
}
