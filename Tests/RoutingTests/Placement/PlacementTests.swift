// The placement hash is a wire contract: these vectors are also in docs/cluster.md.
import Codec
import Testing
@testable import Routing

@Suite struct PlacementTests {
    @Test func hashMatchesDocumentedVectors() {
        let vectors: [(Bytes, UInt64, Int)] = [
            ([], 0xefd0_1f60_ba99_2926, 38),
            (Bytes(utf8: "a"), 0x82a2_a958_a9be_ce5b, 27),
            (Bytes(utf8: "img1"), 0x43a1_3be8_319b_8319, 25),
            (Bytes(utf8: "img2"), 0x9092_a14a_ed91_c641, 1),
            (Bytes(utf8: "hello"), 0xe9c5_62c0_fdb2_3244, 4),
            (Bytes(utf8: "photos/2024/cat.jpg"), 0x7d10_75aa_aabc_ca75, 53),
            ([0x00, 0xff], 0xacb6_4f88_d28b_68b8, 56),
        ]
        for (oid, hash, shard) in vectors {
            #expect(Placement.stableHash(oid) == hash)
            #expect(Placement.shard(of: oid, shardCount: 64) == shard)
        }
    }

    @Test func shardsAreEvenlyUsed() {
        var counts = [Int](repeating: 0, count: 64)
        for i in 0..<64_000 { counts[Placement.shard(of: Bytes(utf8: "object-\(i)"), shardCount: 64)] += 1 }
        // 1000 expected per shard; a fair hash stays well within +-15%.
        #expect(counts.min()! > 850 && counts.max()! < 1150)
    }
}

@Suite struct ShardBalancerTests {
    /// Moves the balancer makes when the slot count goes from `before` to `after` slots.
    private func moves(_ from: [Int?], _ to: [Int]) -> Int {
        zip(from, to).filter { $0 != $1 }.count
    }

    private func isBalanced(_ assignment: [Int], slots: Int) -> Bool {
        var counts = [Int](repeating: 0, count: slots)
        for s in assignment { counts[s] += 1 }
        return counts.max()! - counts.min()! <= 1
    }

    @Test func joinsStealOnlyTheExcess() {
        var current = ShardBalancer.balance(current: Array(repeating: nil, count: 64), slotCount: 1)
        #expect(current.allSatisfy { $0 == 0 })
        for slots in 2...9 {
            let next = ShardBalancer.balance(current: current.map { $0 }, slotCount: slots)
            #expect(isBalanced(next, slots: slots))
            // The newcomer gets floor(64/slots) shards and nothing else moves.
            #expect(moves(current.map { $0 }, next) == 64 / slots, "join to \(slots) slots")
            current = next
        }
    }

    @Test func leavesMoveOnlyTheLeaversShards() {
        let four = ShardBalancer.balance(current: Array(repeating: nil, count: 64), slotCount: 4)
        // Slot 1 leaves: indices above it shift down, as the state machine's sorted list does.
        let remaining: [Int?] = four.map { $0 == 1 ? nil : ($0 > 1 ? $0 - 1 : $0) }
        let three = ShardBalancer.balance(current: remaining, slotCount: 3)
        #expect(isBalanced(three, slots: 3))
        #expect(moves(remaining, three) == 16)
    }

    @Test func moreSlotsThanShards() {
        let result = ShardBalancer.balance(current: [nil, nil, nil], slotCount: 5)
        #expect(Set(result).count == 3)
    }
}
