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
    var queues: [TagQueue]
    var queuedTotal = 0
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

    public init(settings: RoutingSettings) {
        precondition(settings.shardCount > 0 && settings.shardQueueMax > 0 && settings.clientInflightMax > 0)
        self.settings = settings
        shards = Array(repeating: .unowned, count: settings.shardCount)
        queues = Array(repeating: TagQueue(), count: settings.shardCount)
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
        let ownerReady: SlotID? = if case .serving(let s) = shards[shard], queues[shard].isEmpty { s } else { nil }
        if ownerReady == nil && queues[shard].count >= settings.shardQueueMax {
            return [.replyError(client: client, requestID: header.id, error: SepiaError(
                .EBUSY, .busy, "shard \(shard) queue is full (\(settings.shardQueueMax))"))]
        }
        let tag = admit(PendingRequest(client: client, requestID: header.id, oid: header.oid, shard: shard, body: body,
                                       sequence: nextSequence, deadline: deadline, slot: nil), key: key)
        nextSequence += 1
        if let slot = ownerReady {
            return [dispatch(tag, to: slot, now: now)]
        }
        queues[shard].append(tag)
        queuedTotal += 1
        return []
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
        return [.forwardReply(client: request.client, requestID: request.requestID, body: body, slot: slot,
                              latencyNanos: now >= request.dispatchedAt ? now - request.dispatchedAt : 0)]
    }

    /// The loop could not hand a dispatch to its slot's socket (send queue full): answer busy
    /// rather than hold it, the client retries.
    public mutating func dispatchFailed(tag: UInt64) -> [RoutingAction] {
        guard let request = pending[tag] else { return [] }
        finish(tag)
        return [.replyError(client: request.client, requestID: request.requestID,
                            error: SepiaError(.EBUSY, .busy, "worker send queue is full"))]
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
        return .dispatch(tag: tag, slot: slot, body: pending[tag]!.body)
    }

    /// Dispatches a serving shard's queue in arrival order; expired requests get ETIMEDOUT.
    mutating func drainQueue(of shard: Int, to slot: SlotID, now: UInt64, into actions: inout [RoutingAction]) {
        while let tag = queues[shard].popFirst() {
            queuedTotal -= 1
            guard let request = pending[tag] else { continue }
            if let deadline = request.deadline, now > deadline {
                actions.append(timeoutReply(tag, request))
            } else {
                actions.append(dispatch(tag, to: slot, now: now))
            }
        }
    }

    /// Answers queued requests whose deadline passed.
    mutating func expireQueued(now: UInt64, into actions: inout [RoutingAction]) {
        guard queuedTotal > 0 else { return }
        for shard in queues.indices where !queues[shard].isEmpty {
            var expired: [UInt64] = []
            for tag in queues[shard].tags {
                if let deadline = pending[tag]?.deadline, now > deadline { expired.append(tag) }
            }
            guard !expired.isEmpty else { continue }
            let drop = Set(expired)
            queues[shard].retain { !drop.contains($0) }
            queuedTotal -= expired.count
            for tag in expired { actions.append(timeoutReply(tag, pending[tag]!)) }
        }
    }

    private mutating func timeoutReply(_ tag: UInt64, _ request: PendingRequest) -> RoutingAction {
        finish(tag)
        return .replyError(client: request.client, requestID: request.requestID,
                           error: SepiaError(.ETIMEDOUT, .timeout, "deadline passed while queued in the broker"))
    }
}
