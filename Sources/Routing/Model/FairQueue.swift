// Requests waiting, for a shard without a serving owner or for room in a slot's window: one FIFO
// per client, served round-robin, so a client with thousands waiting does not stand in front of
// another client's one. Requests a dead slot lost ("recovered") go before everything, in order.
import Codec

struct FairQueue: Sendable {
    private var recovered = TagQueue()
    private var byClient: [Bytes: TagQueue] = [:]
    /// Clients with waiting requests, in turn order; `turn` indexes the next one served.
    private var ring: [Bytes] = []
    private var turn = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// What `offer` did with a request.
    enum Admission: Equatable {
        case queued
        /// Queued; to make room, this tag (the newest of the client holding the most) was
        /// taken out and must be refused.
        case queuedEvicting(UInt64)
        /// The queue is full and the offering client holds the most: refuse the new request.
        case refused
    }

    /// Queues `tag` of `client` if there is room below `max`; when full, makes room by taking
    /// out the newest request of the client holding the most waiting requests, unless that is
    /// `client` itself (ties refuse the newcomer). Recovered requests are never taken out.
    mutating func offer(_ tag: UInt64, client: Bytes, max: Int) -> Admission {
        guard count >= max else {
            append(tag, client: client)
            return .queued
        }
        guard let heaviest = heaviestClient(), heaviest.count > (byClient[client]?.count ?? 0) else { return .refused }
        let evicted = byClient[heaviest.client]!.popLast()!
        count -= 1
        if byClient[heaviest.client]!.isEmpty { removeFromRing(heaviest.client) }
        append(tag, client: client)
        return .queuedEvicting(evicted)
    }

    /// Queues without a bound (requests already accepted elsewhere, moving here).
    mutating func append(_ tag: UInt64, client: Bytes) {
        if byClient[client] == nil {
            // A client new to the queue waits for one round of those already waiting.
            ring.insert(client, at: turn)
            turn += 1
            byClient[client] = TagQueue()
        }
        byClient[client]!.append(tag)
        count += 1
    }

    /// Requests a dead slot lost: served before anything else, in the given order.
    mutating func prependRecovered(_ tags: [UInt64]) {
        guard !tags.isEmpty else { return }
        recovered.prepend(tags)
        count += tags.count
    }

    /// Recovered requests moving here from another queue: after the recovered ones waiting,
    /// before everything else.
    mutating func appendRecovered(_ tags: [UInt64]) {
        for tag in tags { recovered.append(tag) }
        count += tags.count
    }

    /// Recovered requests waiting (they are the first `recoveredCount` that `popFirst` gives).
    var recoveredCount: Int { recovered.count }

    /// The next request: recovered first, then one per client in turn.
    mutating func popFirst() -> UInt64? {
        if let tag = recovered.popFirst() {
            count -= 1
            return tag
        }
        guard !ring.isEmpty else { return nil }
        if turn >= ring.count { turn = 0 }
        let client = ring[turn]
        let tag = byClient[client]!.popFirst()!
        count -= 1
        if byClient[client]!.isEmpty {
            byClient[client] = nil
            ring.remove(at: turn)
        } else {
            turn += 1
        }
        return tag
    }

    /// Takes out every tag for which `drop` is true and returns them: the recovered ones and
    /// the others apart, so that where they go next the recovered can still go first.
    mutating func remove(where drop: (UInt64) -> Bool) -> (recovered: [UInt64], others: [UInt64]) {
        var count = self.count
        func sift(_ queue: inout TagQueue) -> [UInt64] {
            let out = queue.tags.filter(drop)
            guard !out.isEmpty else { return [] }
            queue.retain { !drop($0) }
            count -= out.count
            return out
        }
        let lost = sift(&recovered)
        var others: [UInt64] = []
        for client in ring {
            others += sift(&byClient[client]!)
            if byClient[client]!.isEmpty { removeFromRing(client) }
        }
        self.count = count
        return (lost, others)
    }

    /// Every waiting tag (recovered first, then by client in turn order).
    var tags: [UInt64] {
        var all = Array(recovered.tags)
        for client in ring { all += byClient[client]!.tags }
        return all
    }

    /// The client with the most waiting requests (ties: the lowest routing id, so the choice
    /// is deterministic).
    func heaviestClient() -> (client: Bytes, count: Int)? {
        var best: (client: Bytes, count: Int)?
        for (client, queue) in byClient {
            if let b = best, queue.count < b.count || (queue.count == b.count && !client.lexicographicallyPrecedes(b.client)) {
                continue
            }
            best = (client, queue.count)
        }
        return best
    }

    private mutating func removeFromRing(_ client: Bytes) {
        byClient[client] = nil
        guard let index = ring.firstIndex(of: client) else { return }
        ring.remove(at: index)
        if index < turn { turn -= 1 }
    }
}
