// Requests the broker refused as poison, remembered for a while so that a client's retry of
// the same (client, id) gets the same answer instead of a third dispatch that may kill another
// worker. Bounded in time and in count: the oldest are forgotten first.
import Codec

struct PoisonRecall: Sendable {
    private var entries: [ClientRequestKey: (expiresAt: UInt64, error: SepiaError)] = [:]
    /// Keys in the order they were recorded; expiry times only grow along it.
    private var order: [ClientRequestKey] = []
    private var head = 0

    var count: Int { entries.count }

    /// Remembers `key` as poison until `now + forNanos`, forgetting the oldest beyond `max`.
    mutating func record(_ key: ClientRequestKey, error: SepiaError, now: UInt64, forNanos: UInt64, max: Int) {
        entries[key] = (now &+ forNanos, error)
        order.append(key)
        while entries.count > max, head < order.count {
            entries[order[head]] = nil
            head += 1
        }
        compact()
    }

    /// The poison answer for `key`, if it is still remembered.
    func answer(for key: ClientRequestKey, now: UInt64) -> SepiaError? {
        guard let entry = entries[key], now <= entry.expiresAt else { return nil }
        return entry.error
    }

    /// Forgets entries whose time is up.
    mutating func expire(now: UInt64) {
        while head < order.count {
            let key = order[head]
            if let entry = entries[key], now <= entry.expiresAt { break }
            entries[key] = nil
            head += 1
        }
        compact()
    }

    private mutating func compact() {
        if head == order.count {
            order.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
