// Slots joining, beating, opening and releasing shards, leaving and dying; the periodic tick.
import Codec

extension RoutingStateMachine {
    /// Any control message from a slot.
    public mutating func controlArrived(from slot: SlotID, _ control: Control, now: UInt64) -> [RoutingAction] {
        if case .ready(let info) = control { return slotReady(slot, info: info, now: now) }
        guard heard(from: slot, now: now) else {
            // A goodbye from a slot we already forgot needs no answer.
            if case .disconnect = control { return [] }
            return fenceUnknown(slot, now: now)
        }
        switch control {
        case .ready: return []  // handled above
        case .heartbeat, .stats: return []  // stats are kept by the broker's metrics
        case .opened(_, let list): return shardsOpened(by: slot, list, now: now)
        case .released(_, let list): return shardsReleased(by: slot, list, now: now)
        case .disconnect(let reason): return slotGone(slot, reason: "said goodbye: \(reason)", now: now)
        case .assign, .release:
            return [.log(.warning, "slot \(slot) sent a broker-only control message; ignored")]
        }
    }

    /// A slot (re-)registered. A slot that says `ready` holds no shards (the worker's duty,
    /// docs/cluster.md): if we thought it was alive, its old incarnation is treated as dead.
    mutating func slotReady(_ slot: SlotID, info: ReadyInfo, now: UInt64) -> [RoutingAction] {
        var actions: [RoutingAction] = []
        fencedAt[slot] = nil
        if slots[slot] != nil {
            actions += slotGone(slot, reason: "registered again", now: now)
        }
        slots[slot] = SlotRecord(info: info, lastHeard: now)
        actions.append(.log(.info, "slot \(slot) joined (pid \(info.pid) on \(info.host), thread \(info.thread))"))
        rebalance(now: now, into: &actions)
        return actions
    }

    mutating func shardsOpened(by slot: SlotID, _ list: [UInt32], now: UInt64) -> [RoutingAction] {
        var actions: [RoutingAction] = []
        for raw in list {
            let shard = Int(raw)
            guard shards.indices.contains(shard), shards[shard] == .opening(slot) else {
                actions.append(.log(.debug, "stale opened for shard \(raw) from \(slot)"))
                continue
            }
            shards[shard] = .serving(slot)
            drainQueue(of: shard, to: slot, now: now, into: &actions)
        }
        return actions
    }

    mutating func shardsReleased(by slot: SlotID, _ list: [UInt32], now: UInt64) -> [RoutingAction] {
        var actions: [RoutingAction] = []
        var assignments: [SlotID: [UInt32]] = [:]
        for raw in list {
            let shard = Int(raw)
            guard shards.indices.contains(shard), case .releasing(slot, let next) = shards[shard] else {
                actions.append(.log(.debug, "stale released for shard \(raw) from \(slot)"))
                continue
            }
            // `next` is live: the rebalance retargets a releasing shard whose destination dies.
            shards[shard] = .opening(next)
            assignments[next, default: []].append(raw)
        }
        for (next, list) in assignments.sorted(by: { $0.key < $1.key }) {
            actions.append(.sendControl(slot: next, .assign(epoch: epoch, shardCount: UInt32(settings.shardCount), shards: list)))
        }
        return actions
    }

    /// Time passes: dead slots are removed, heartbeats go out, expired queued requests are
    /// answered. Call it at least a few times per heartbeat interval.
    public mutating func tick(now: UInt64) -> [RoutingAction] {
        var actions: [RoutingAction] = []
        let silent = slots.filter { _, record in
            let limit = record.inflight.isEmpty ? settings.silenceLimitNanos : settings.busySilenceLimitNanos
            return now > record.lastHeard && now - record.lastHeard > limit
        }
        for slot in silent.keys.sorted() {
            actions += slotGone(slot, reason: "silent for \(settings.heartbeatLiveness) heartbeats", now: now)
        }
        if now >= nextHeartbeatAt {
            nextHeartbeatAt = now + settings.heartbeatIntervalNanos
            for slot in slots.keys.sorted() { actions.append(.sendControl(slot: slot, .heartbeat(epoch: epoch))) }
        }
        expireQueued(now: now, into: &actions)
        poisoned.expire(now: now)
        fencedAt = fencedAt.filter { now - min(now, $0.value) < settings.heartbeatIntervalNanos }
        return actions
    }

    /// The loop found the slot unroutable (its connection is gone): same as death.
    public mutating func slotUnreachable(_ slot: SlotID, now: UInt64) -> [RoutingAction] {
        guard slots[slot] != nil else { return [] }
        return slotGone(slot, reason: "unroutable", now: now)
    }

    /// A slot is dead or left: its shards go straight to live slots (no release: it cannot
    /// answer, and the LevelDB LOCK fences it if it is merely paused), and everything that was
    /// in flight at it is dispatched again, before anything queued after it.
    mutating func slotGone(_ slot: SlotID, reason: String, now: UInt64) -> [RoutingAction] {
        guard slots[slot] != nil else { return [] }
        // Its waiting requests were never dispatched: back to their shards' queues.
        reclaimWaiting(at: slot, shard: nil)
        let record = slots.removeValue(forKey: slot)!
        var actions: [RoutingAction] = [.log(.warning, "slot \(slot) removed: \(reason); \(record.inflight.count) requests to re-dispatch")]
        for shard in shards.indices {
            switch shards[shard] {
            case .serving(slot), .opening(slot), .releasing(from: slot, _): shards[shard] = .unowned
            default: break
            }
        }
        // New tags: a late reply under the old tag is then recognised and dropped. A request
        // that has now been lost by two distinct slots is poison: answered, not re-run.
        var requeued: [Int: [(sequence: UInt64, tag: UInt64)]] = [:]
        for oldTag in record.inflight.sorted() {
            guard var request = pending[oldTag] else { continue }
            request.lostOn.insert(slot)
            if request.lostWorkers >= RoutingSettings.dispatchesPerRequest {
                actions += refuseAsPoison(oldTag, request, lastSlot: slot, now: now)
                continue
            }
            pending[oldTag] = nil
            request.slot = nil
            let key = ClientRequestKey(client: request.client, requestID: request.requestID)
            let tag = nextTag
            nextTag += 1
            pending[tag] = request
            tagsByKey[key] = tag
            requeued[request.shard, default: []].append((request.sequence, tag))
        }
        for (shard, list) in requeued {
            queues[shard].prependRecovered(list.sorted { $0.sequence < $1.sequence }.map(\.tag))
        }
        rebalance(now: now, into: &actions)
        return actions
    }

    /// Answers a request that distinct slots lost while running it, and remembers the
    /// answer for retries of the same (client, id). The shard itself keeps being served.
    private mutating func refuseAsPoison(_ tag: UInt64, _ request: PendingRequest, lastSlot: SlotID,
                                         now: UInt64) -> [RoutingAction] {
        finish(tag)
        poisonRefused += 1
        let name = "request \(request.requestID) (oid '\(String(decoding: request.oid, as: UTF8.self))', shard \(request.shard))"
        let error = SepiaError(.EFAULT, .poison,
                               "\(name) lost its worker on \(request.lostWorkers) distinct slots (last: slot \(lastSlot)); "
                               + "refused as poison, it will not be dispatched again")
        poisoned.record(ClientRequestKey(client: request.client, requestID: request.requestID), error: error, now: now,
                        forNanos: settings.poisonRecallNanos, max: settings.poisonRecallMax)
        return [.log(.warning, error.message),
                .replyError(client: request.client, requestID: request.requestID, error: error)]
    }

    /// The broker is stopping: every waiting client gets a retryable EBUSY, every slot a
    /// goodbye (so it closes its shards and re-registers with the next broker).
    public mutating func shutdown(reason: String) -> [RoutingAction] {
        var actions: [RoutingAction] = []
        for (_, request) in pending.sorted(by: { $0.value.sequence < $1.value.sequence }) {
            actions.append(.replyError(client: request.client, requestID: request.requestID,
                                       error: SepiaError(.EBUSY, .busy, "broker stopping: \(reason)")))
        }
        for slot in slots.keys.sorted() { actions.append(.sendControl(slot: slot, .disconnect(reason: reason))) }
        pending = [:]
        tagsByKey = [:]
        clientInflight = [:]
        slots = [:]
        queues = Array(repeating: FairQueue(), count: settings.shardCount)
        shards = Array(repeating: .unowned, count: settings.shardCount)
        return actions
    }

    /// Refreshes a known slot's liveness; false for a slot we do not know.
    mutating func heard(from slot: SlotID, now: UInt64) -> Bool {
        guard slots[slot] != nil else { return false }
        slots[slot]!.lastHeard = max(slots[slot]!.lastHeard, now)
        return true
    }

    /// Fencing: an unknown slot (declared dead, or talking to a restarted broker) must close its
    /// shards and send `ready` again. At most one `disconnect` per slot per heartbeat interval: a
    /// resumed worker with a burst of late replies would otherwise get one each, and answer each
    /// with a `ready` that restarts its fresh registration.
    mutating func fenceUnknown(_ slot: SlotID, now: UInt64) -> [RoutingAction] {
        if let last = fencedAt[slot], now - min(now, last) < settings.heartbeatIntervalNanos { return [] }
        fencedAt[slot] = now
        return [.sendControl(slot: slot, .disconnect(reason: "unknown worker slot: close your shards and send ready"))]
    }
}
