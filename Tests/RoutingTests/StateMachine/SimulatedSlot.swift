// A worker slot in the routing simulations: the REAL worker protocol (OSDCore's
// SlotStateMachine) with its frames delivered late and in the simulation's order, and its shard
// stores emulated by a lock table all slots share, as LevelDB's LOCK file is shared by the
// processes on one data root (an open fails while another slot holds the shard).
import Codec
import OSDCore
import Routing

struct SimulatedSlot {
    static let settings = SlotStateMachine.Settings(heartbeatIntervalNanos: 100_000_000, heartbeatLiveness: 3)

    let id: SlotID
    var machine: SlotStateMachine
    /// Controls from the broker not read yet.
    var inbox: [Control] = []
    /// Requests received and not answered yet: (tag, shard, request id).
    var inflight: [(tag: UInt64, shard: Int, id: UInt64)] = []

    init(_ id: SlotID, now: UInt64) {
        self.id = id
        machine = SlotStateMachine(settings: Self.settings, now: now)
    }

    /// The slot connects; returns its `ready`.
    mutating func connect(now: UInt64, locks: inout [UInt32: SlotID]) -> [Control] {
        perform(machine.connected(now: now), now: now, locks: &locks)
    }

    /// Whether a request for `shard` may be served here.
    func serves(_ shard: Int) -> Bool { machine.open.contains(UInt32(shard)) }

    /// A dispatch arrived.
    mutating func received(tag: UInt64, shard: Int, id: UInt64, now: UInt64) {
        machine.heard(now: now)
        inflight.append((tag, shard, id))
    }

    /// Handles one control from the broker; returns the controls the slot sends back.
    mutating func handle(_ control: Control, now: UInt64, locks: inout [UInt32: SlotID]) -> [Control] {
        perform(machine.controlArrived(control, now: now), now: now, locks: &locks)
    }

    /// Time passed; returns the controls the slot sends (heartbeats, opened after a retry,
    /// ready after fencing itself).
    mutating func tick(now: UInt64, locks: inout [UInt32: SlotID]) -> [Control] {
        perform(machine.tick(now: now, framesWaiting: !inbox.isEmpty, statsChanged: false), now: now, locks: &locks)
    }

    /// A graceful stop: closes everything and says goodbye.
    mutating func leave(locks: inout [UInt32: SlotID]) -> [Control] {
        perform(machine.leave(), now: 0, locks: &locks)
    }

    /// Killed: the process and its locks are gone.
    static func kill(_ id: SlotID, locks: inout [UInt32: SlotID]) {
        locks = locks.filter { $0.value != id }
    }

    private mutating func perform(_ actions: [SlotAction], now: UInt64, locks: inout [UInt32: SlotID]) -> [Control] {
        var out: [Control] = []
        for action in actions {
            switch action {
            case .send(.register):
                out.append(.ready(ReadyInfo(worker: id.description, pid: 1, host: "test", thread: 0, threads: 1)))
            case .send(.reportStats):
                out.append(.stats([]))
            case .send(.control(let control)):
                out.append(control)
            case .open(let shards):
                let opened = shards.filter { shard in
                    if let holder = locks[shard], holder != id { return false }
                    locks[shard] = id
                    return true
                }
                out += perform(machine.openFinished(opened: opened, now: now), now: now, locks: &locks)
            case .close(let shards):
                for shard in shards where locks[shard] == id { locks[shard] = nil }
            case .closeAll:
                Self.kill(id, locks: &locks)
            case .reconnect:
                // A new socket: what the old one had queued either way is gone.
                inbox.removeAll()
                inflight.removeAll()
                out += perform(machine.connected(now: now), now: now, locks: &locks)
            case .repair:
                machine.repairFailed([])
            case .log:
                break
            }
        }
        return out
    }
}
