// The assignment rule: balanced (max - min <= 1 shards per live slot) and moving as few shards
// as possible. Pure arithmetic over indices; the state machine maps slots to indices.

/// Computes a balanced assignment that keeps every shard it can where it is.
///
/// Why not rendezvous hashing: with 64 shards and a handful of slots it leaves imbalances of
/// several shards, and any rule that moves few shards would do. This rule moves
/// exactly the shards that must move: orphans (owner gone) and each slot's excess over its fair
/// share. Nothing else changes hands, so a join costs about shardCount/slots moves and a leave
/// costs the leaver's shards.
enum ShardBalancer {
    /// - Parameters:
    ///   - current: per shard, the index of the live slot that owns (or is about to own) it, or
    ///     nil when it has no live owner.
    ///   - slotCount: live slots, > 0. Indices are in a deterministic order (the caller sorts).
    /// - Returns: per shard, the index of its owner in the balanced assignment.
    static func balance(current: [Int?], slotCount: Int) -> [Int] {
        precondition(slotCount > 0)
        let shardCount = current.count
        let base = shardCount / slotCount
        let extra = shardCount % slotCount  // this many slots carry base + 1

        var owned = [[Int]](repeating: [], count: slotCount)
        var orphans: [Int] = []
        for (shard, owner) in current.enumerated() {
            if let owner, owner < slotCount { owned[owner].append(shard) } else { orphans.append(shard) }
        }
        // Trim every slot to base + 1, giving up its highest-numbered shards.
        for slot in 0..<slotCount where owned[slot].count > base + 1 {
            orphans.append(contentsOf: owned[slot][(base + 1)...])
            owned[slot].removeSubrange((base + 1)...)
        }
        // Only `extra` slots may keep base + 1; lower indices keep theirs.
        var fullSlots = 0
        for slot in 0..<slotCount where owned[slot].count == base + 1 {
            fullSlots += 1
            if fullSlots > extra { orphans.append(owned[slot].removeLast()) }
        }
        // Each orphan, in shard order, goes to the least loaded slot (ties: lowest index). All
        // slots are now at most base + 1 with at most `extra` of them full, so this never
        // overfills one: the result is balanced.
        orphans.sort()
        var result = [Int](repeating: 0, count: shardCount)
        for slot in 0..<slotCount { for shard in owned[slot] { result[shard] = slot } }
        for shard in orphans {
            var least = 0
            for slot in 1..<slotCount where owned[slot].count < owned[least].count { least = slot }
            owned[least].append(shard)
            result[shard] = least
        }
        return result
    }
}
