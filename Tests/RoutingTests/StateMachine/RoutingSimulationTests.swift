// A seeded random walk of joins, leaves, deaths, zombie replies and requests between the broker's
// routing machine and the workers' real slot machines (SimulatedSlot): every request is answered
// exactly once, and a shard is never open at two live workers at once.
import Codec
import Testing
@testable import Routing

@Suite struct RoutingSimulationTests {
    /// `tight`: a window of 2 and small queues, so requests wait at slots, follow moving
    /// shards, and full queues refuse.
    @Test(arguments: [1, 2, 3, 42, 4242] as [UInt64], [false, true])
    func everyRequestGetsExactlyOneReply(seed: UInt64, tight: Bool) {
        var rng = SeededGenerator(state: seed)
        var settings = RoutingSettings(shardCount: 16, heartbeatIntervalMillis: 100, heartbeatLiveness: 3,
                                       shardQueueMax: tight ? 6 : 10_000, clientInflightMax: 10_000)
        if tight {
            settings.slotInflightMax = 2
            settings.slotQueueMax = 12
        }
        var machine = RoutingStateMachine(settings: settings)
        var now: UInt64 = 1_000_000_000
        var live: [SlotID: SimulatedSlot] = [:]
        var locks: [UInt32: SlotID] = [:]  // the shards' LevelDB locks, by holder
        var zombies: [SlotID: [UInt64]] = [:]  // killed workers' unanswered tags (late replies)
        var answers: [ClientRequestKey: Int] = [:]
        var sent = 0
        let names = (0..<6).map { SlotID("w\($0)") }

        func perform(_ actions: [RoutingAction]) {
            for action in actions {
                switch action {
                case .dispatch(let tag, let slot, _, let body):
                    // Killed but not yet detected: the request waits there until the slot is declared dead.
                    guard live[slot] != nil else { zombies[slot, default: []].append(tag); continue }
                    let shard = machine.shard(of: Array(body.dropFirst(2)))
                    #expect(live[slot]!.serves(shard), "dispatch to a slot without the shard open")
                    live[slot]!.received(tag: tag, shard: shard, id: 0, now: now)
                case .sendControl(let slot, let control):
                    if live[slot] != nil { live[slot]!.inbox.append(control) }
                case .replyError(let client, let id, _), .forwardReply(let client, let id, _, _, _):
                    answers[ClientRequestKey(client: client, requestID: id), default: 0] += 1
                case .log: break
                }
            }
        }

        func send(_ controls: [Control], from slot: SlotID) {
            for control in controls { perform(machine.controlArrived(from: slot, control, now: now)) }
        }

        func join(_ slot: SlotID) {
            live[slot] = SimulatedSlot(slot, now: now)
            send(live[slot]!.connect(now: now, locks: &locks), from: slot)
        }

        /// The worker reads its oldest control. The requests it received before a release are
        /// answered first (a round is flushed before a control is handled); a shard is never
        /// open at two live workers (the broker waits for `released`, the lock refuses anyway).
        func work(_ slot: SlotID) {
            guard let control = live[slot]?.inbox.first else { return }
            live[slot]!.inbox.removeFirst()
            if case .release(_, let list) = control {
                let closing = Set(list.map(Int.init))
                for item in live[slot]!.inflight where closing.contains(item.shard) {
                    perform(machine.replyArrived(from: slot, tag: item.tag, body: [], now: now))
                }
                live[slot]!.inflight.removeAll { closing.contains($0.shard) }
            }
            send(live[slot]!.handle(control, now: now, locks: &locks), from: slot)
            for (shard, holder) in locks {
                #expect(live[holder] != nil, "shard \(shard) locked by a slot that is gone")
                #expect(live.filter { $0.value.serves(Int(shard)) }.keys.allSatisfy { $0 == holder },
                        "shard \(shard) open at two live workers")
            }
        }

        func passTime(_ nanos: UInt64) {
            now += nanos
            for slot in live.keys.sorted() { send(live[slot]!.tick(now: now, locks: &locks), from: slot) }
            perform(machine.tick(now: now))
        }

        for step in 0..<4000 {
            let roll = Int.random(in: 0..<100, using: &rng)
            switch roll {
            case 0..<40:
                let client = Bytes(utf8: "c\(Int.random(in: 0..<3, using: &rng))")
                let oid = Bytes(utf8: "o\(Int.random(in: 0..<200, using: &rng))")
                let header = RequestHeaderInfo(client: client, id: UInt64(step), oid: oid,
                                               timeoutMillis: Bool.random(using: &rng) ? 2000 : nil)
                sent += 1
                perform(machine.requestArrived(client: client, header: header, body: [0, 0] + oid, now: now))
            case 40..<65:
                if let slot = live.keys.randomElement(using: &rng), let item = live[slot]!.inflight.first {
                    live[slot]!.inflight.removeFirst()
                    perform(machine.replyArrived(from: slot, tag: item.tag, body: [], now: now))
                    if Int.random(in: 0..<10, using: &rng) == 0 {  // a duplicated reply
                        perform(machine.replyArrived(from: slot, tag: item.tag, body: [], now: now))
                    }
                }
            case 65..<85:
                if let slot = live.keys.randomElement(using: &rng) { work(slot) }
            case 85..<89:
                if let slot = names.randomElement(using: &rng), live[slot] == nil {
                    zombies[slot] = nil
                    join(slot)
                }
            case 89..<91:
                if let slot = live.keys.randomElement(using: &rng) {  // graceful leave
                    zombies[slot] = live[slot]!.inflight.map(\.tag)
                    var leaving = live.removeValue(forKey: slot)!
                    send(leaving.leave(locks: &locks), from: slot)
                }
            case 91..<93:
                if let slot = live.keys.randomElement(using: &rng) {  // killed: silent from now on
                    zombies[slot] = live.removeValue(forKey: slot)!.inflight.map(\.tag)
                    SimulatedSlot.kill(slot, locks: &locks)
                }
            case 93..<95:
                if let slot = zombies.keys.randomElement(using: &rng), let tag = zombies[slot]!.popLast() {
                    perform(machine.replyArrived(from: slot, tag: tag, body: [], now: now))  // late reply
                }
            default:
                passTime(UInt64(Int.random(in: 10...120, using: &rng)) * 1_000_000)
            }
        }
        // Quiesce: let killed slots be declared dead, bring a worker if none, let everyone obey
        // and answer everything.
        for _ in 0..<8 { passTime(50_000_000) }
        if live.isEmpty { join(names[0]) }
        for _ in 0..<10_000 {
            let busy = live.filter { !$0.value.inbox.isEmpty || !$0.value.inflight.isEmpty }.keys.sorted()
            guard let slot = busy.first else { break }
            if !live[slot]!.inbox.isEmpty { work(slot) } else {
                let item = live[slot]!.inflight.removeFirst()
                perform(machine.replyArrived(from: slot, tag: item.tag, body: [], now: now))
            }
        }
        #expect(machine.snapshot(now: now).pendingTotal == 0)
        #expect(machine.snapshot(now: now).queuedTotal == 0)
        for slot in live.keys { #expect(live[slot]!.inflight.count <= settings.slotInflightMax || !tight) }
        #expect(answers.values.allSatisfy { $0 == 1 }, "a request answered twice")
        #expect(answers.count == sent, "every request answered")
    }
}
