// A seeded random walk in which some requests kill whichever worker runs them (the workers run
// the real slot machine, SimulatedSlot): each is dispatched at most twice and answered once with
// -EFAULT kind `poison`; no request is dispatched more than twice or answered twice, and every
// shard serves at the end.
import Codec
import Testing
@testable import Routing

@Suite struct PoisonSimulationTests {
    @Test(arguments: [7, 11, 2026] as [UInt64])
    func poisonIsContainedAndShardsKeepServing(seed: UInt64) {
        var rng = SeededGenerator(state: seed)
        let settings = RoutingSettings(shardCount: 8, heartbeatIntervalMillis: 100, heartbeatLiveness: 3,
                                       shardQueueMax: 10_000, clientInflightMax: 10_000)
        var machine = RoutingStateMachine(settings: settings)
        var now: UInt64 = 1_000_000_000
        let names = (0..<4).map { SlotID("w\($0)") }
        var live: [SlotID: SimulatedSlot] = [:]
        var locks: [UInt32: SlotID] = [:]
        var dead: Set<SlotID> = []  // killed, not yet noticed by the broker
        var tagToID: [UInt64: UInt64] = [:]
        var dispatches: [UInt64: Int] = [:]
        var answers: [UInt64: [Int32]] = [:]
        var poison: Set<UInt64> = []
        var nextID: UInt64 = 1

        func perform(_ actions: [RoutingAction]) {
            for action in actions {
                switch action {
                case .dispatch(let tag, let slot, _, let body):
                    let id = UInt64(String(decoding: body, as: UTF8.self))!
                    tagToID[tag] = id
                    dispatches[id, default: 0] += 1
                    guard live[slot] != nil else { continue }  // dead, not yet noticed
                    if poison.contains(id) {
                        // Running it kills the worker: silent from now on, its work lost.
                        live[slot] = nil
                        SimulatedSlot.kill(slot, locks: &locks)
                        dead.insert(slot)
                    } else {
                        live[slot]!.received(tag: tag, shard: machine.shard(of: Bytes(utf8: "o\(id)")), id: id, now: now)
                    }
                case .sendControl(let slot, let control):
                    live[slot]?.inbox.append(control)
                case .replyError(_, let id, let error):
                    answers[id, default: []].append(error.rc)
                case .forwardReply(_, let id, _, _, _):
                    answers[id, default: []].append(0)
                case .log: break
                }
            }
        }

        func send(_ controls: [Control], from slot: SlotID) {
            for control in controls { perform(machine.controlArrived(from: slot, control, now: now)) }
        }

        /// The slot reads its oldest control, answering first what it received for the shards
        /// a release takes away (a round is flushed before a control is handled).
        func obey(_ slot: SlotID) {
            guard let control = live[slot]?.inbox.first else { return }
            live[slot]!.inbox.removeFirst()
            if case .release(_, let list) = control {
                let closing = Set(list.map(Int.init))
                let answer = live[slot]!.inflight.filter { closing.contains($0.shard) }
                live[slot]!.inflight.removeAll { closing.contains($0.shard) }
                for item in answer { perform(machine.replyArrived(from: slot, tag: item.tag, body: [], now: now)) }
            }
            guard live[slot] != nil else { return }
            send(live[slot]!.handle(control, now: now, locks: &locks), from: slot)
        }

        func join(_ slot: SlotID) {
            dead.remove(slot)
            live[slot] = SimulatedSlot(slot, now: now)
            send(live[slot]!.connect(now: now, locks: &locks), from: slot)
        }

        // A restarted worker is a new process, so a new slot (its routing id holds the pid).
        var incarnation = 0
        func restart(_ slot: SlotID) {
            dead.remove(slot)
            incarnation += 1
            join(SlotID("\(slot)+\(incarnation)"))
        }

        func passTime(_ millis: UInt64) {
            now += millis * 1_000_000
            for slot in live.keys.sorted() where live[slot] != nil {
                send(live[slot]!.tick(now: now, locks: &locks), from: slot)
            }
            perform(machine.tick(now: now))
        }

        for slot in names { join(slot) }
        for _ in 0..<3000 {
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<35:
                let id = nextID
                nextID += 1
                if Int.random(in: 0..<20, using: &rng) == 0 { poison.insert(id) }
                // The oid and the body both carry the id; the body is what the slot sees.
                let header = RequestHeaderInfo(client: Bytes(utf8: "c"), id: id, oid: Bytes(utf8: "o\(id)"), timeoutMillis: nil)
                perform(machine.requestArrived(client: Bytes(utf8: "c"), header: header, body: Bytes(utf8: "\(id)"), now: now))
            case 35..<38:
                // A client retries an already-answered poison request: answered again, never dispatched.
                if let id = poison.filter({ answers[$0] != nil }).randomElement(using: &rng) {
                    let before = dispatches[id]
                    let header = RequestHeaderInfo(client: Bytes(utf8: "c"), id: id, oid: Bytes(utf8: "o\(id)"), timeoutMillis: nil)
                    perform(machine.requestArrived(client: Bytes(utf8: "c"), header: header, body: Bytes(utf8: "\(id)"), now: now))
                    #expect(dispatches[id] == before, "a poison retry was dispatched")
                    #expect(answers[id]!.last == Errno.EFAULT.rc)
                    answers[id]!.removeLast()
                }
            case 38..<65:
                if let slot = live.keys.sorted().randomElement(using: &rng), let item = live[slot]!.inflight.first {
                    live[slot]!.inflight.removeFirst()
                    perform(machine.replyArrived(from: slot, tag: item.tag, body: [], now: now))
                }
            case 65..<85:
                if let slot = live.keys.sorted().randomElement(using: &rng) { obey(slot) }
            case 85..<90:
                if let slot = dead.sorted().randomElement(using: &rng) { restart(slot) }  // the supervisor restarts it
            default:
                passTime(UInt64(Int.random(in: 20...150, using: &rng)))
            }
        }
        // Quiesce: notice the dead, restart them, obey and answer everything; a poison request
        // still in play kills another worker, so repeat until nothing is pending.
        for _ in 0..<10 where machine.snapshot(now: now).pendingTotal > 0 || !dead.isEmpty {
            for _ in 0..<8 { passTime(50) }
            for slot in dead.sorted() { restart(slot) }
            for _ in 0..<100_000 {
                guard let slot = live.keys.sorted().first(where: { !live[$0]!.inbox.isEmpty || !live[$0]!.inflight.isEmpty }) else { break }
                if !live[slot]!.inbox.isEmpty { obey(slot) } else {
                    let item = live[slot]!.inflight.removeFirst()
                    perform(machine.replyArrived(from: slot, tag: item.tag, body: [], now: now))
                }
            }
        }
        #expect(!poison.isEmpty)
        #expect(machine.snapshot(now: now).pendingTotal == 0)
        #expect(answers.count == Int(nextID - 1), "every request answered")
        #expect(answers.values.allSatisfy { $0.count == 1 }, "a request answered twice")
        #expect(dispatches.values.allSatisfy { $0 <= RoutingSettings.dispatchesPerRequest }, "dispatched more than twice")
        for id in poison {
            #expect(answers[id] == [Errno.EFAULT.rc], "poison request \(id) not refused")
            #expect(dispatches[id] == RoutingSettings.dispatchesPerRequest)
        }
        // Every shard serves a normal request after the storm.
        for shard in 0..<settings.shardCount {
            var i = 0
            while machine.shard(of: Bytes(utf8: "probe\(i)")) != shard { i += 1 }
            let id = nextID
            nextID += 1
            let header = RequestHeaderInfo(client: Bytes(utf8: "c"), id: id, oid: Bytes(utf8: "probe\(i)"), timeoutMillis: nil)
            perform(machine.requestArrived(client: Bytes(utf8: "c"), header: header, body: Bytes(utf8: "\(id)"), now: now))
            guard let slot = live.keys.first(where: { !live[$0]!.inflight.isEmpty }) else { Issue.record("shard \(shard) not dispatched"); continue }
            let item = live[slot]!.inflight.removeFirst()
            perform(machine.replyArrived(from: slot, tag: item.tag, body: [], now: now))
            #expect(answers[id] == [0], "shard \(shard) did not serve")
        }
    }
}
