// The assignment rule: balanced after every join and leave, with the fewest moves.
import Testing
@testable import Routing

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
