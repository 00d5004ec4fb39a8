// Drives a RoutingStateMachine with injected time and records what it asks for.
import Codec
@testable import Routing

struct RoutingHarness {
    var machine: RoutingStateMachine
    var now: UInt64 = 1_000_000_000
    var dispatches: [(tag: UInt64, slot: SlotID, body: Bytes)] = []
    var controls: [(slot: SlotID, control: Control)] = []
    /// Every answer the clients got, in order: (client, id, rc or 0 for a forwarded reply).
    var answers: [(client: Bytes, id: UInt64, rc: Int32, body: Bytes)] = []

    init(_ settings: RoutingSettings = RoutingSettings(shardCount: 8, heartbeatIntervalMillis: 100, heartbeatLiveness: 3,
                                                       shardQueueMax: 16, clientInflightMax: 64)) {
        machine = RoutingStateMachine(settings: settings)
    }

    mutating func record(_ actions: [RoutingAction]) {
        for action in actions {
            switch action {
            case .dispatch(let tag, let slot, _, let body): dispatches.append((tag, slot, body))
            case .sendControl(let slot, let control): controls.append((slot, control))
            case .replyError(let client, let id, let error): answers.append((client, id, error.rc, []))
            case .forwardReply(let client, let id, let body, _, _): answers.append((client, id, 0, body))
            case .log: break
            }
        }
    }

    static func info(_ name: String) -> ReadyInfo { ReadyInfo(worker: name, pid: 1, host: "test", thread: 0, threads: 1) }

    mutating func ready(_ name: String) {
        record(machine.controlArrived(from: SlotID(name), .ready(Self.info(name)), now: now))
    }

    mutating func control(_ name: String, _ control: Control) {
        record(machine.controlArrived(from: SlotID(name), control, now: now))
    }

    /// Plays obedient workers: answers every assign with opened and every release with
    /// released, until the broker asks nothing more.
    mutating func settle() {
        var index = 0
        while index < controls.count {
            let (slot, control) = controls[index]
            index += 1
            switch control {
            case .assign(let epoch, _, let list): record(machine.controlArrived(from: slot, .opened(epoch: epoch, shards: list), now: now))
            case .release(let epoch, let list): record(machine.controlArrived(from: slot, .released(epoch: epoch, shards: list), now: now))
            default: break
            }
        }
        controls.removeAll()
    }

    mutating func request(client: String = "c1", id: UInt64, oid: String, timeoutMillis: UInt64? = nil) {
        let header = RequestHeaderInfo(client: Bytes(utf8: client), id: id, oid: Bytes(utf8: oid), timeoutMillis: timeoutMillis)
        record(machine.requestArrived(client: Bytes(utf8: client), header: header, body: Bytes(utf8: "body-\(id)"), now: now))
    }

    mutating func reply(_ slot: SlotID, tag: UInt64) {
        record(machine.replyArrived(from: slot, tag: tag, body: Bytes(utf8: "reply-\(tag)"), now: now))
    }

    mutating func advance(millis: UInt64) {
        now += millis * 1_000_000
        record(machine.tick(now: now))
    }

    /// A different oid for each of the machine's shards.
    func oid(forShard shard: Int) -> String {
        var i = 0
        while machine.shard(of: Bytes(utf8: "o\(i)")) != shard { i += 1 }
        return "o\(i)"
    }

    func servingCounts() -> [SlotID: Int] {
        var counts: [SlotID: Int] = [:]
        for owner in machine.servingOwners { if let owner { counts[owner, default: 0] += 1 } }
        return counts
    }
}
