// The broker's routing logic as a value: shard map, per-shard queues, in-flight requests, slot
// liveness. No sockets and no clock: events come in with the time, actions go out, and the
// broker's loop performs them. Requests and replies live here; slots, hand-over and liveness
// in the +Slots and +Rebalance extensions.
import Codec

public struct RoutingStateMachine: Sendable {
    public let settings: RoutingSettings
    /// Bumped whenever the shard map changes; carried by assign/release/heartbeat.
    public internal(set) var epoch: UInt64 = 0

    var shards: [ShardOwnership]
    /// Requests for shards without a serving owner (hand-over, no live slot yet).
    var queues: [FairQueue]
    var pending: [UInt64: PendingRequest] = [:]
    var tagsByKey: [ClientRequestKey: UInt64] = [:]
    var clientInflight: [Bytes: Int] = [:]
    var slots: [SlotID: SlotRecord] = [:]
    var nextTag: UInt64 = 1
    var nextSequence: UInt64 = 0
    var nextHeartbeatAt: UInt64 = 0
    /// Unknown slots told to re-register, and when (to send that once per interval).
    var fencedAt: [SlotID: UInt64] = [:]
    /// Requests refused as poison, for retries of the same (client, id).
    var poisoned = PoisonRecall()
    /// Requests refused as poison since the broker started.
    public internal(set) var poisonRefused: UInt64 = 0
    /// Replies dropped because their tag was already answered or re-dispatched.
    public internal(set) var lateRepliesDropped: UInt64 = 0
    /// Requests refused because a shard or slot queue was full.
    public internal(set) var queueRefusals: UInt64 = 0

    public init(settings: RoutingSettings) {
        precondition(settings.shardCount > 0 && settings.shardQueueMax > 0 && settings.clientInflightMax > 0
                     && settings.slotInflightMax > 0 && settings.slotQueueMax > 0)
        self.settings = settings
        shards = Array(repeating: .unowned, count: settings.shardCount)
        queues = Array(repeating: FairQueue(), count: settings.shardCount)
    }

    /// Requests waiting in the broker: for a shard's owner, or for room in a slot's window.
    var queuedTotal: Int {
        queues.reduce(0) { $0 + $1.count } + slots.values.reduce(0) { $0 + $1.waiting.count }
    }

    /// The shard of an object.
    public func shard(of oid: Bytes) -> Int { Int(Placement.shard(of: oid, shardCount: UInt32(settings.shardCount))) }

    // MARK: - Requests

    /// A client's request arrived. `client` is its ZeroMQ routing id; `body` is forwarded
    /// unchanged to the owning slot.
    public mutating func requestArrived(client: Bytes, header: RequestHeaderInfo, body: Bytes,
                                        now: UInt64) -> [RoutingAction] {
        let key = ClientRequestKey(client: client, requestID: header.id)
        let deadline = header.timeoutMillis.map { now &+ $0 &* 1_000_000 }
        if let tag = tagsByKey[key] {
            // A retry of a request still in the broker: the first copy's reply answers both,
            // and one answer per (client, id) is the contract. Keep the later deadline.
            if let deadline, let old = pending[tag]?.deadline, deadline > old { pending[tag]?.deadline = deadline }
            if header.timeoutMillis == nil { pending[tag]?.deadline = nil }
            return []
        }
        if let error = poisoned.answer(for: key, now: now) {
            return [.replyError(client: client, requestID: header.id, error: error)]
        }
        if clientInflight[client, default: 0] >= settings.clientInflightMax {
            return [.replyError(client: client, requestID: header.id, error: SepiaError(
                .EBUSY, .busy, "client has \(settings.clientInflightMax) requests in flight"))]
        }
        let shard = header.shard.map { Int($0) } ?? shard(of: header.oid)
        guard shard < settings.shardCount else {
            return [.replyError(client: client, requestID: header.id, error: SepiaError(
                .EINVAL, .routing, "shard \(shard) does not exist (the cluster has \(settings.shardCount))"))]
        }
        let tag = admit(PendingRequest(client: client, requestID: header.id, oid: header.oid, shard: shard, body: body,
                                       sequence: nextSequence, deadline: deadline, slot: nil), key: key)
        nextSequence += 1
        var actions: [RoutingAction] = []
        if case .serving(let slot) = shards[shard] {
            place(tag, at: slot, now: now, into: &actions)
        } else {
            let outcome = queues[shard].offer(tag, client: client, max: settings.shardQueueMax)
            refuseOverflow(outcome, tag, queue: "shard \(shard) queue", max: settings.shardQueueMax, into: &actions)
        }
        return actions
    }

    /// A slot's reply for `tag`. Forwarded only if the tag is still pending at that slot: a
    /// reply for a request that was re-dispatched (its tag is gone) is late and dropped.
    public mutating func replyArrived(from slot: SlotID, tag: UInt64, body: Bytes, now: UInt64) -> [RoutingAction] {
        guard heard(from: slot, now: now) else { return fenceUnknown(slot, now: now) }
        guard let request = pending[tag], request.slot == slot else {
            lateRepliesDropped += 1
            return [.log(.debug, "dropped late reply for tag \(tag) from \(slot)")]
        }
        finish(tag)
        var actions: [RoutingAction] = [
            .forwardReply(client: request.client, requestID: request.requestID, body: body, slot: slot,
                          latencyNanos: now >= request.dispatchedAt ? now - request.dispatchedAt : 0)]
        refill(slot, now: now, into: &actions)
        return actions
    }

    /// The loop could not hand a dispatch to its slot's socket (send queue full): answer busy
    /// rather than hold it, the client retries.
    public mutating func dispatchFailed(tag: UInt64, now: UInt64) -> [RoutingAction] {
        dispatchRefused(tag: tag, error: SepiaError(.EBUSY, .busy, "worker send queue is full"), now: now)
    }

    /// The loop answers a dispatched request itself instead of sending it (its client's unread
    /// replies are over budget, or the send failed): the request is finished with `error` and
    /// its room in the slot's window goes to the next waiting request.
    public mutating func dispatchRefused(tag: UInt64, error: SepiaError, now: UInt64) -> [RoutingAction] {
        guard let request = pending[tag] else { return [] }
        finish(tag)
        var actions: [RoutingAction] = [.replyError(client: request.client, requestID: request.requestID, error: error)]
        if let slot = request.slot { refill(slot, now: now, into: &actions) }
        return actions
    }

    /// Whether the broker holds this request (queued or at a worker).
    public func isPending(client: Bytes, requestID: UInt64) -> Bool {
        tagsByKey[ClientRequestKey(client: client, requestID: requestID)] != nil
    }

    // MARK: - Bookkeeping shared by the extensions

    /// Records a new pending request under a fresh tag.
    mutating func admit(_ request: PendingRequest, key: ClientRequestKey) -> UInt64 {
        let tag = nextTag
        nextTag += 1
        pending[tag] = request
        tagsByKey[key] = tag
        clientInflight[request.client, default: 0] += 1
        return tag
    }

    /// Forgets an answered request.
    mutating func finish(_ tag: UInt64) {
        guard let request = pending.removeValue(forKey: tag) else { return }
        tagsByKey[ClientRequestKey(client: request.client, requestID: request.requestID)] = nil
        if let slot = request.slot { slots[slot]?.inflight.remove(tag) }
        let left = clientInflight[request.client, default: 1] - 1
        clientInflight[request.client] = left > 0 ? left : nil
    }

    mutating func dispatch(_ tag: UInt64, to slot: SlotID, now: UInt64) -> RoutingAction {
        pending[tag]!.slot = slot
        pending[tag]!.dispatchedAt = now
        slots[slot]!.inflight.insert(tag)
        return .dispatch(tag: tag, slot: slot, client: pending[tag]!.client, body: pending[tag]!.body)
    }

    /// A request for a shard `slot` serves: dispatched if the slot's window has room and
    /// nothing waits before it, otherwise it waits in the slot's queue (recovered requests
    /// before the others).
    mutating func place(_ tag: UInt64, at slot: SlotID, recovered: Bool = false, now: UInt64,
                        into actions: inout [RoutingAction]) {
        let inflight = slots[slot]!.inflight.count
        let ahead = recovered ? slots[slot]!.waiting.recoveredCount : slots[slot]!.waiting.count
        if inflight < settings.slotInflightMax && ahead == 0 {
            actions.append(dispatch(tag, to: slot, now: now))
        } else if recovered {
            slots[slot]!.waiting.appendRecovered([tag])
        } else {
            let outcome = slots[slot]!.waiting.offer(tag, client: pending[tag]!.client, max: settings.slotQueueMax)
            refuseOverflow(outcome, tag, queue: "worker slot queue", max: settings.slotQueueMax, into: &actions)
        }
    }

    /// Room in a slot's window: dispatch waiting requests until it is full again.
    mutating func refill(_ slot: SlotID, now: UInt64, into actions: inout [RoutingAction]) {
        guard slots[slot] != nil else { return }
        while slots[slot]!.inflight.count < settings.slotInflightMax, let tag = slots[slot]!.waiting.popFirst() {
            guard let request = pending[tag] else { continue }
            if let deadline = request.deadline, now > deadline {
                actions.append(timeoutReply(tag, request))
            } else {
                actions.append(dispatch(tag, to: slot, now: now))
            }
        }
    }

    /// Answers what a full queue would not keep: the new request, or the newest request of the
    /// client holding the most (so one client's flood cannot keep others out).
    mutating func refuseOverflow(_ outcome: FairQueue.Admission, _ tag: UInt64, queue: String, max: Int,
                                 into actions: inout [RoutingAction]) {
        let refused: UInt64
        switch outcome {
        case .queued: return
        case .refused: refused = tag
        case .queuedEvicting(let evicted): refused = evicted
        }
        guard let request = pending[refused] else { return }
        finish(refused)
        queueRefusals += 1
        actions.append(.replyError(client: request.client, requestID: request.requestID, error: SepiaError(
            .EBUSY, .busy, "\(queue) is full (\(max) waiting) and this client holds the most of them")))
    }

    /// Dispatches a shard's queue to its new owner (recovered first, then one request per
    /// client in turn), as far as the slot's window allows; the rest waits at the slot.
    /// Expired requests get ETIMEDOUT.
    mutating func drainQueue(of shard: Int, to slot: SlotID, now: UInt64, into actions: inout [RoutingAction]) {
        while !queues[shard].isEmpty {
            let recovered = queues[shard].recoveredCount > 0
            guard let tag = queues[shard].popFirst(), let request = pending[tag] else { continue }
            if let deadline = request.deadline, now > deadline {
                actions.append(timeoutReply(tag, request))
            } else {
                place(tag, at: slot, recovered: recovered, now: now, into: &actions)
            }
        }
    }

    /// Requests waiting at `slot` for `shard` (or for every shard: nil) go back to their shard
    /// queues, in arrival order, recovered first: the shard is leaving the slot.
    mutating func reclaimWaiting(at slot: SlotID, shard: Int?) {
        guard slots[slot] != nil, !slots[slot]!.waiting.isEmpty else { return }
        let pending = self.pending
        let moved = slots[slot]!.waiting.remove { tag in shard == nil || pending[tag]?.shard == shard }
        let bySequence = { (a: UInt64, b: UInt64) in (pending[a]?.sequence ?? 0) < (pending[b]?.sequence ?? 0) }
        for tag in moved.recovered.sorted(by: bySequence) {
            guard let request = pending[tag] else { continue }
            queues[request.shard].appendRecovered([tag])
        }
        for tag in moved.others.sorted(by: bySequence) {
            guard let request = pending[tag] else { continue }
            queues[request.shard].append(tag, client: request.client)
        }
    }

    /// Answers queued requests whose deadline passed.
    mutating func expireQueued(now: UInt64, into actions: inout [RoutingAction]) {
        let pending = self.pending
        let expired = { (tag: UInt64) in pending[tag]?.deadline.map { now > $0 } ?? false }
        var answered: [UInt64] = []
        for shard in queues.indices where !queues[shard].isEmpty {
            let out = queues[shard].remove(where: expired)
            answered += out.recovered + out.others
        }
        for slot in slots.keys.sorted() where !slots[slot]!.waiting.isEmpty {
            let out = slots[slot]!.waiting.remove(where: expired)
            answered += out.recovered + out.others
        }
        for tag in answered { if let request = pending[tag] { actions.append(timeoutReply(tag, request)) } }
    }

    private mutating func timeoutReply(_ tag: UInt64, _ request: PendingRequest) -> RoutingAction {
        finish(tag)
        return .replyError(client: request.client, requestID: request.requestID,
                           error: SepiaError(.ETIMEDOUT, .timeout, "deadline passed while queued in the broker"))
    }
}
