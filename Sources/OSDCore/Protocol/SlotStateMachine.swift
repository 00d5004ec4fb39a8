// A worker slot's side of the broker protocol as a value: which shards it holds, which it has
// been assigned but could not open yet, the map epoch, heartbeats both ways and fencing. No
// sockets, no stores and no clock: events come in with the time (monotonic nanoseconds), actions
// go out, and WorkerSlot performs them. The broker's half is RoutingStateMachine; the seeded
// routing simulations drive both.
import Codec

public struct SlotStateMachine: Sendable {
    public struct Settings: Sendable, Equatable {
        public var heartbeatIntervalNanos: UInt64
        /// Broker silence, in heartbeat intervals, after which the slot fences itself.
        public var heartbeatLiveness: UInt64
        /// How often shards that could not be opened (a previous owner still holds the
        /// LevelDB lock) are tried again.
        public var openRetryNanos: UInt64 = 100_000_000
        /// How often shards whose write failed (disk full) are checked for reopening.
        public var repairIntervalNanos: UInt64 = 1_000_000_000

        public init(heartbeatIntervalNanos: UInt64, heartbeatLiveness: UInt64) {
            precondition(heartbeatIntervalNanos > 0 && heartbeatLiveness > 0)
            self.heartbeatIntervalNanos = heartbeatIntervalNanos
            self.heartbeatLiveness = heartbeatLiveness
        }
    }

    public let settings: Settings
    /// The newest map epoch the broker has told us; carried by our heartbeats and replies to it.
    public private(set) var epoch: UInt64 = 0
    /// Shards in the cluster (0 before the first assign): an object's home shard depends on it.
    public private(set) var shardCount: UInt32 = 0
    /// Shards open here: requests for them are served.
    public private(set) var open: Set<UInt32> = []
    /// Shards assigned but not opened yet.
    public private(set) var pendingOpen: Set<UInt32> = []
    /// Whether the slot has a connection and has said `ready` on it.
    public private(set) var isRegistered = false

    private var lastHeard: UInt64 = 0
    private var lastSent: UInt64 = 0
    private var lastStats: UInt64 = 0
    private var lastOpenAttempt: UInt64 = 0
    private var lastRepair: UInt64 = 0

    public init(settings: Settings, now: UInt64) {
        self.settings = settings
        lastRepair = now
    }

    // MARK: - Events

    /// A new connection to the broker is up: say who we are. Everything held before is gone
    /// (`reconnect` always follows `closeAll`), so the broker's view starts empty too.
    public mutating func connected(now: UInt64) -> [SlotAction] {
        isRegistered = true
        lastHeard = now
        return [sent(.register, now: now)]
    }

    /// Any frame from the broker arrived: it is alive and still knows us.
    public mutating func heard(now: UInt64) {
        lastHeard = now
    }

    /// A control message from the broker.
    public mutating func controlArrived(_ control: Control, now: UInt64) -> [SlotAction] {
        lastHeard = now
        switch control {
        case .heartbeat:
            return []
        case .assign(let e, let count, let list):
            epoch = max(epoch, e)
            var actions: [SlotAction] = []
            if shardCount != count {
                // Another shard count rehomes every object: nothing held stays valid.
                if !open.isEmpty || !pendingOpen.isEmpty { actions.append(.closeAll) }
                open.removeAll()
                pendingOpen.removeAll()
                shardCount = count
            }
            let alreadyOpen = list.filter { open.contains($0) }.sorted()
            pendingOpen.formUnion(list.filter { !open.contains($0) })
            if !alreadyOpen.isEmpty { actions.append(sent(.control(.opened(epoch: epoch, shards: alreadyOpen)), now: now)) }
            if !pendingOpen.isEmpty { actions.append(openAttempt(now: now)) }
            return actions
        case .release(let e, let list):
            epoch = max(epoch, e)
            open.subtract(list)
            pendingOpen.subtract(list)
            return [.close(list), sent(.control(.released(epoch: epoch, shards: list)), now: now)]
        case .disconnect(let reason):
            // The broker dropped us (or never knew us): fence — serve nothing more — and register again.
            return [.log(.warning, "broker says disconnect (\(reason)); re-registering")] + fence()
        case .ready, .opened, .released, .stats:
            return [.log(.warning, "unexpected control message \(control.typeName) from broker")]
        }
    }

    /// The slot tried to open `attempted` (after an `open` action): `opened` are now open, the
    /// rest stay pending and are tried again. A shard released meanwhile is not reported.
    public mutating func openFinished(opened: [UInt32], now: UInt64) -> [SlotAction] {
        let kept = opened.filter { pendingOpen.contains($0) }.sorted()
        pendingOpen.subtract(kept)
        open.formUnion(kept)
        return kept.isEmpty ? [] : [sent(.control(.opened(epoch: epoch, shards: kept)), now: now)]
    }

    /// After a `repair` action: these open shards were closed and could not be reopened yet;
    /// they are pending again (and reported opened once they open).
    public mutating func repairFailed(_ shards: [UInt32]) {
        let failed = shards.filter { open.contains($0) }
        open.subtract(failed)
        pendingOpen.formUnion(failed)
    }

    /// Time passed. `framesWaiting`: frames from the broker are queued unread (the silence was
    /// our own, a long round); `statsChanged`: the slot has new latency figures to report.
    public mutating func tick(now: UInt64, framesWaiting: Bool, statsChanged: Bool) -> [SlotAction] {
        guard isRegistered else { return [] }
        if now &- lastHeard > settings.heartbeatIntervalNanos * settings.heartbeatLiveness && !framesWaiting {
            return [.log(.warning, "broker silent; closing shards and re-registering")] + fence()
        }
        var actions = heartbeatIfDue(now: now)
        if statsChanged && now &- lastStats >= settings.heartbeatIntervalNanos {
            lastStats = now
            actions.append(sent(.reportStats, now: now))
        }
        if !pendingOpen.isEmpty && now &- lastOpenAttempt > settings.openRetryNanos {
            actions.append(openAttempt(now: now))
        }
        if now &- lastRepair > settings.repairIntervalNanos {
            lastRepair = now
            if !open.isEmpty { actions.append(.repair(open.sorted())) }
        }
        return actions
    }

    /// Between the requests of a round: a heartbeat when one is due, so that a round of slow
    /// requests does not silence the slot (the busy-slot rule; the broker adds the Lua time
    /// limit to a busy slot's allowed silence for the one request running).
    public mutating func heartbeatIfDue(now: UInt64) -> [SlotAction] {
        guard isRegistered, now &- lastSent >= settings.heartbeatIntervalNanos else { return [] }
        return [sent(.control(.heartbeat(epoch: epoch)), now: now)]
    }

    /// The slot is stopping: say so once; nothing more is served.
    public mutating func leave() -> [SlotAction] {
        let wasRegistered = isRegistered
        open.removeAll()
        pendingOpen.removeAll()
        isRegistered = false
        return [.closeAll] + (wasRegistered ? [.send(.control(.disconnect(reason: "worker stopping")))] : [])
    }

    // MARK: - Requests

    /// The shard a request is served from, or why it cannot be served here. An explicit shard
    /// exists to list a shard's objects; any other op on it would read or write the object in a
    /// shard its name does not hash to, where no later request finds it.
    public func shard(for request: Request, slotName: String) -> Result<UInt32, SepiaError> {
        let home = Placement.shard(of: request.oid, shardCount: shardCount)
        let shard = request.shard ?? home
        if shardCount > 0, shard != home, !request.ops.allSatisfy({ if case .listObjects = $0 { true } else { false } }) {
            return .failure(SepiaError(.EINVAL, .decode, "shard \(shard) was asked for, but the object's name hashes to shard \(home); only a listing may name a shard"))
        }
        guard open.contains(shard) else {
            // The broker routed a shard we do not hold (a race with a release): retryable.
            return .failure(SepiaError(.EAGAIN, .routing, "shard \(shard) is not open on \(slotName)"))
        }
        return .success(shard)
    }

    // MARK: - Helpers

    private mutating func sent(_ message: SlotAction.Message, now: UInt64) -> SlotAction {
        lastSent = now
        return .send(message)
    }

    private mutating func openAttempt(now: UInt64) -> SlotAction {
        lastOpenAttempt = now
        return .open(pendingOpen.sorted())
    }

    private mutating func fence() -> [SlotAction] {
        open.removeAll()
        pendingOpen.removeAll()
        isRegistered = false
        return [.closeAll, .reconnect]
    }
}

/// What the slot state machine asks its slot to do, in order.
public enum SlotAction: Sendable, Equatable {
    public enum Message: Sendable, Equatable {
        /// `ready` with this process's identity (the slot knows it).
        case register
        /// The slot's latest latency figures (`stats`; the slot holds them).
        case reportStats
        case control(Control)
    }

    /// Send a control message to the broker.
    case send(Message)
    /// Try to open these shards' stores, then report with `openFinished`.
    case open([UInt32])
    /// Close these shards' stores (after finishing the round in flight).
    case close([UInt32])
    /// Close every store.
    case closeAll
    /// Replace the connection to the broker, then report with `connected`.
    case reconnect
    /// Reopen those of these shards whose write failed once their disk has room; report the
    /// ones that could not be reopened with `repairFailed`.
    case repair([UInt32])
    case log(SlotLogLevel, String)
}

public enum SlotLogLevel: Sendable, Equatable {
    case debug, info, warning
}
