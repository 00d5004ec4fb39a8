// A FIFO of dispatch tags. Small and array-backed: the building block of FairQueue.

struct TagQueue: Sendable {
    private var items: [UInt64] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }

    mutating func append(_ tag: UInt64) { items.append(tag) }

    mutating func popFirst() -> UInt64? {
        guard head < items.count else { return nil }
        let tag = items[head]
        head += 1
        if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
        return tag
    }

    /// The newest tag, taken out (a full queue refuses its heaviest client's newest request).
    mutating func popLast() -> UInt64? {
        guard head < items.count else { return nil }
        let tag = items.removeLast()
        if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
        return tag
    }

    /// Puts tags before everything waiting (requests re-dispatched after a slot died arrived
    /// before anything now queued).
    mutating func prepend(_ tags: [UInt64]) {
        items = tags + items[head...]
        head = 0
    }

    /// Keeps the tags for which `keep` is true, in order.
    mutating func retain(where keep: (UInt64) -> Bool) {
        items = items[head...].filter(keep)
        head = 0
    }

    var tags: ArraySlice<UInt64> { items[head...] }
}
