// A seeded random walk of joins, leaves, deaths, zombie replies and requests: every request is
// answered exactly once, and a shard is never open at two live workers at once.
import Codec
import Testing
@testable import Routing

/// An emulated worker slot: obeys controls late and in its own order, answers requests late.
private struct SimWorker {
    var open: Set<Int> = []
    var inbox: [Control] = []
    var inflight: [(tag: UInt64, shard: Int)] = []
}

@Suite struct RoutingSimulationTests {
    @Test(arguments: [1, 2, 3, 42, 4242] as [UInt64])
    func everyRequestGetsExactlyOneReply(seed: UInt64) {
        var rng = SeededGenerator(state: seed)
        let settings = RoutingSettings(shardCount: 16, heartbeatIntervalMillis: 100, heartbeatLiveness: 3,
                                       shardQueueMax: 10_000, clientInflightMax: 10_000)
        var machine = RoutingStateMachine(settings: settings)
        var now: UInt64 = 1_000_000_000
        var live: [SlotID: SimWorker] = [:]
        var zombies: [SlotID: [UInt64]] = [:]  // killed workers' unanswered tags (late replies)
        var answers: [ClientRequestKey: Int] = [:]
        var sent = 0
        let names = (0..<6).map { SlotID("w\($0)") }

        func perform(_ actions: [RoutingAction]) {
            for action in actions {
                switch action {
                case .dispatch(let tag, let slot, let body):
                    // Killed but not yet detected: the request waits there until the slot is declared dead.
                    guard live[slot] != nil else { zombies[slot, default: []].append(tag); continue }
                    let shard = machine.shard(of: Array(body.dropFirst(2)))
                    #expect(live[slot]!.open.contains(shard), "dispatch to a slot without the shard open")
                    live[slot]!.inflight.append((tag, shard))
                case .sendControl(let slot, let control):
                    if live[slot] != nil { live[slot]!.inbox.append(control) }
                case .replyError(let client, let id, _), .forwardReply(let client, let id, _, _, _):
                    answers[ClientRequestKey(client: client, requestID: id), default: 0] += 1
                case .log: break
                }
            }
        }

        /// The worker handles its oldest control: opens only after checking no live peer has
        /// the shard open (LevelDB's LOCK would refuse); finishes in-flight work before released.
        func work(_ slot: SlotID) {
            guard var worker = live[slot], !worker.inbox.isEmpty else { return }
            let control = worker.inbox.removeFirst()
            live[slot] = worker
            switch control {
            case .assign(let epoch, _, let list):
                for shard in list.map(Int.init) {
                    let holders = live.filter { $0.key != slot && $0.value.open.contains(shard) }
                    #expect(holders.isEmpty, "shard \(shard) open at two live workers")
                    live[slot]!.open.insert(shard)
                }
                perform(machine.controlArrived(from: slot, .opened(epoch: epoch, shards: list), now: now))
            case .release(let epoch, let list):
                let closing = Set(list.map(Int.init))
                for item in live[slot]!.inflight where closing.contains(item.shard) {
                    perform(machine.replyArrived(from: slot, tag: item.tag, body: [], now: now))
                }
                live[slot]!.inflight.removeAll { closing.contains($0.shard) }
                live[slot]!.open.subtract(closing)
                perform(machine.controlArrived(from: slot, .released(epoch: epoch, shards: list), now: now))
            case .disconnect:
                live[slot] = SimWorker()  // closes everything, registers again
                perform(machine.controlArrived(from: slot, .ready(RoutingHarness.info(slot.description)), now: now))
            default: break
            }
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
                    live[slot] = SimWorker()
                    zombies[slot] = nil
                    perform(machine.controlArrived(from: slot, .ready(RoutingHarness.info(slot.description)), now: now))
                }
            case 89..<91:
                if let slot = live.keys.randomElement(using: &rng) {  // graceful leave
                    let tags = live.removeValue(forKey: slot)!.inflight.map(\.tag)
                    zombies[slot] = tags
                    perform(machine.controlArrived(from: slot, .disconnect(reason: "leaving"), now: now))
                }
            case 91..<93:
                if let slot = live.keys.randomElement(using: &rng) {  // killed: silent from now on
                    zombies[slot] = live.removeValue(forKey: slot)!.inflight.map(\.tag)
                }
            case 93..<95:
                if let slot = zombies.keys.randomElement(using: &rng), let tag = zombies[slot]!.popLast() {
                    perform(machine.replyArrived(from: slot, tag: tag, body: [], now: now))  // late reply
                }
            default:
                now += UInt64(Int.random(in: 10...120, using: &rng)) * 1_000_000
                for slot in live.keys { perform(machine.controlArrived(from: slot, .heartbeat(epoch: 0), now: now)) }
                perform(machine.tick(now: now))
            }
        }
        // Quiesce: let killed slots be declared dead, bring a worker if none, let everyone obey
        // and answer everything.
        now += 400_000_000
        for slot in live.keys { perform(machine.controlArrived(from: slot, .heartbeat(epoch: 0), now: now)) }
        perform(machine.tick(now: now))
        if live.isEmpty {
            live[names[0]] = SimWorker()
            perform(machine.controlArrived(from: names[0], .ready(RoutingHarness.info("w0")), now: now))
        }
        for _ in 0..<10_000 {
            let busy = live.filter { !$0.value.inbox.isEmpty || !$0.value.inflight.isEmpty }.keys.sorted()
            guard let slot = busy.first else { break }
            if !live[slot]!.inbox.isEmpty { work(slot) } else {
                let item = live[slot]!.inflight.removeFirst()
                perform(machine.replyArrived(from: slot, tag: item.tag, body: [], now: now))
            }
        }
        #expect(machine.snapshot(now: now).pendingTotal == 0)
        #expect(answers.values.allSatisfy { $0 == 1 }, "a request answered twice")
        #expect(answers.count == sent, "every request answered")
    }
}
