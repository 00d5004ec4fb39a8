// The slot window, the per-client round-robin wait queues and their overflow rule, without
// sockets: a flooding client cannot keep another client's requests on the same slot or shard
// from being dispatched, and is the one refused when a queue is full.
import Codec
import Testing
@testable import Routing

@Suite struct FlowControlTests {
    let a = SlotID("a"), b = SlotID("b")

    /// One slot, all shards open, the given window and slot queue.
    /// With a window of one, after two of the flood's replies the third dispatch is calm's
    /// request, and its reply reaches calm.
    func expectCalmDispatchedThird(_ h: inout RoutingHarness, sourceLocation: SourceLocation = #_sourceLocation) {
        h.reply(a, tag: h.dispatches[0].tag)
        h.reply(a, tag: h.dispatches[1].tag)
        #expect(h.dispatches.count == 3 && h.machine.pending[h.dispatches[2].tag]?.client == Bytes(utf8: "calm"),
                sourceLocation: sourceLocation)
        h.reply(a, tag: h.dispatches[2].tag)
        #expect(h.answers.contains { String(decoding: $0.client, as: UTF8.self) == "calm" && $0.rc == 0 },
                sourceLocation: sourceLocation)
    }

    static func serving(window: Int, slotQueue: Int = 64, shardQueue: Int = 16) -> RoutingHarness {
        var settings = RoutingSettings(shardCount: 4, heartbeatIntervalMillis: 100, heartbeatLiveness: 3,
                                       shardQueueMax: shardQueue, clientInflightMax: 1000)
        settings.slotInflightMax = window
        settings.slotQueueMax = slotQueue
        var h = RoutingHarness(settings)
        h.ready("a")
        h.settle()
        return h
    }

    func bodyID(_ body: Bytes) -> String { String(decoding: body, as: UTF8.self) }

    @Test func windowHoldsTheRestInTheBroker() {
        var h = Self.serving(window: 2)
        let oid = h.oid(forShard: 1)
        for id in 1...5 { h.request(id: UInt64(id), oid: oid) }
        #expect(h.dispatches.count == 2)
        let snap = h.machine.snapshot(now: h.now)
        #expect(snap.slots[0].inflight == 2 && snap.slots[0].waiting == 3 && snap.queuedTotal == 3)
        #expect(snap.clients == [RoutingSnapshot.Client(id: Bytes(utf8: "c1"), pending: 5, queued: 3)])
        // Each reply makes room for exactly one more, in arrival order for one client.
        h.reply(a, tag: h.dispatches[0].tag)
        #expect(h.dispatches.count == 3 && bodyID(h.dispatches[2].body) == "body-3")
        for d in h.dispatches.dropFirst() { h.reply(a, tag: d.tag) }
        for d in h.dispatches.dropFirst(3) { h.reply(a, tag: d.tag) }
        #expect(h.answers.count == 5 && h.answers.allSatisfy { $0.rc == 0 })
        #expect(h.machine.snapshot(now: h.now).pendingTotal == 0)
    }

    @Test func aFloodingClientCannotStarveAnotherOnTheSameShard() {
        var h = Self.serving(window: 2)
        let oid = h.oid(forShard: 2)
        for id in 1...50 { h.request(client: "flood", id: UInt64(id), oid: oid) }
        h.request(client: "calm", id: 1, oid: oid)
        h.request(client: "calm", id: 2, oid: oid)
        // The flooder's 48 waiting requests do not stand in front of calm's: they alternate.
        var served: [String] = []
        while served.count < 8, let next = h.dispatches.dropFirst(served.count).first {
            served.append(bodyID(next.body) + "@" + (h.machine.pending[next.tag].map { String(decoding: $0.client, as: UTF8.self) } ?? "?"))
            h.reply(a, tag: next.tag)
        }
        let calmAt = served.indices.filter { served[$0].hasSuffix("@calm") }
        #expect(calmAt == [3, 5], "order: \(served)")
        #expect(h.answers.filter { String(decoding: $0.client, as: UTF8.self) == "calm" }.allSatisfy { $0.rc == 0 })
    }

    @Test func aFloodOnOneShardDoesNotStarveAnotherShardOfTheSameSlot() {
        var h = Self.serving(window: 1)
        for id in 1...20 { h.request(client: "flood", id: UInt64(id), oid: h.oid(forShard: 0)) }
        h.request(client: "calm", id: 1, oid: h.oid(forShard: 3))
        expectCalmDispatchedThird(&h)
    }

    @Test func aFullSlotQueueRefusesTheNewestOfTheClientHoldingTheMost() {
        var h = Self.serving(window: 1, slotQueue: 4)
        let oid = h.oid(forShard: 1)
        for id in 1...5 { h.request(client: "flood", id: UInt64(id), oid: oid) }  // 1 dispatched, 4 waiting
        #expect(h.answers.isEmpty)
        h.request(client: "calm", id: 1, oid: oid)  // full: flood's newest (5) makes room
        #expect(h.answers.map(\.id) == [5] && h.answers[0].rc == Errno.EBUSY.rc)
        h.request(client: "flood", id: 6, oid: oid)  // flood still holds the most: its new one is refused
        #expect(h.answers.map(\.id) == [5, 6] && h.answers[1].rc == Errno.EBUSY.rc)
        #expect(h.answers.allSatisfy { String(decoding: $0.client, as: UTF8.self) == "flood" })
        #expect(h.machine.queueRefusals == 2)
        // calm is served after one more of flood's.
        expectCalmDispatchedThird(&h)
    }

    @Test func aFullShardQueueDuringHandOverRefusesTheFlooder() {
        var h = RoutingHarness(RoutingSettings(shardCount: 4, heartbeatIntervalMillis: 100, heartbeatLiveness: 3,
                                               shardQueueMax: 3, clientInflightMax: 1000))
        let oid = h.oid(forShard: 0)  // no worker yet: requests wait for an owner
        for id in 1...3 { h.request(client: "flood", id: UInt64(id), oid: oid) }
        h.request(client: "calm", id: 1, oid: oid)
        #expect(h.answers.map(\.id) == [3] && String(decoding: h.answers[0].client, as: UTF8.self) == "flood")
        h.ready("a")
        h.settle()
        #expect(h.dispatches.count == 3)  // flood 1, calm 1, flood 2 (one per client in turn)
        #expect(h.dispatches.map { bodyID($0.body) } == ["body-1", "body-1", "body-2"])
    }

    @Test func aRefusedDispatchPassesItsRoomToTheNextWaiting() {
        var h = Self.serving(window: 1)
        let oid = h.oid(forShard: 1)
        h.request(client: "reader", id: 1, oid: oid)
        h.request(client: "reader", id: 2, oid: oid)
        // The loop refuses the dispatched one (its client's replies are over budget).
        h.record(h.machine.dispatchRefused(tag: h.dispatches[0].tag, error: SepiaError(.EBUSY, .busy, "unread"), now: h.now))
        #expect(h.answers.map(\.id) == [1] && h.answers[0].rc == Errno.EBUSY.rc)
        #expect(h.dispatches.count == 2 && bodyID(h.dispatches[1].body) == "body-2")
        #expect(h.machine.snapshot(now: h.now).slots[0].inflight == 1)
    }

    @Test func waitingRequestsFollowTheirShardToItsNextOwner() {
        var h = Self.serving(window: 1)
        let shard = 1
        let oid = h.oid(forShard: shard)
        for id in 1...4 { h.request(id: UInt64(id), oid: oid) }  // 1 at a, 3 waiting at a
        h.ready("b")  // a releases half its shards; any of them moves its waiting requests back
        let releasing = h.controls.compactMap { c -> [UInt32]? in
            if case .release(_, let list) = c.control, c.slot == a { list } else { nil }
        }.flatMap { $0 }
        let moves = releasing.contains(UInt32(shard))
        h.settle()
        let snap = h.machine.snapshot(now: h.now)
        if moves {
            // Released at a (its dispatched one still in flight there), opened at b: b takes
            // one, the other two wait at b.
            #expect(h.dispatches.count == 2 && h.dispatches[1].slot == b && bodyID(h.dispatches[1].body) == "body-2")
            #expect(snap.slots.first { $0.id == b }!.waiting == 2 && snap.slots.first { $0.id == a }!.waiting == 0)
        } else {
            #expect(h.dispatches.count == 1 && snap.slots.first { $0.id == a }!.waiting == 3)
        }
        #expect(snap.pendingTotal == 4)
    }

    @Test func aDeadSlotsWaitingAndInFlightRequestsGoToTheNextOwnerLostOnesFirst() {
        var h = Self.serving(window: 1)
        let oid = h.oid(forShard: 1)
        h.request(client: "x", id: 1, oid: oid)
        h.request(client: "y", id: 2, oid: oid)
        h.request(client: "x", id: 3, oid: oid)
        h.ready("b")
        h.settle()
        h.control("a", .disconnect(reason: "bye"))
        h.settle()
        // Whoever serves shard 1 now gets the lost request (1) first.
        let after = h.dispatches.dropFirst()
        #expect(after.first.map { bodyID($0.body) } == "body-1")
        for d in h.dispatches.dropFirst() { h.reply(d.slot, tag: d.tag) }
        for d in h.dispatches.dropFirst(2) where !h.answers.contains(where: { $0.id == UInt64(bodyID(d.body).dropFirst(5))! }) {
            h.reply(d.slot, tag: d.tag)
        }
        for d in h.dispatches.dropFirst(3) { h.reply(d.slot, tag: d.tag) }
        #expect(Set(h.answers.map(\.id)) == [1, 2, 3] && h.answers.count == 3 && h.answers.allSatisfy { $0.rc == 0 })
    }

    @Test func waitingRequestsPastTheirDeadlineTimeOut() {
        var h = Self.serving(window: 1)
        let oid = h.oid(forShard: 1)
        h.request(id: 1, oid: oid)
        h.request(id: 2, oid: oid, timeoutMillis: 50)
        h.advance(millis: 60)
        #expect(h.answers.map(\.id) == [2] && h.answers[0].rc == Errno.ETIMEDOUT.rc)
        #expect(h.machine.snapshot(now: h.now).queuedTotal == 0)
        h.reply(a, tag: h.dispatches[0].tag)
        #expect(h.dispatches.count == 1 && h.answers.map(\.id) == [2, 1])
    }

    @Test func fairQueueServesClientsInTurnRecoveredFirst() {
        var q = FairQueue()
        let x = Bytes(utf8: "x"), y = Bytes(utf8: "y")
        for tag in 1...3 { q.append(UInt64(tag), client: x) }
        q.append(10, client: y)
        q.prependRecovered([99])
        #expect(q.count == 5 && q.recoveredCount == 1)
        var order: [UInt64] = []
        while let tag = q.popFirst() { order.append(tag) }
        #expect(order == [99, 1, 10, 2, 3])
        #expect(q.isEmpty)
        for tag in 1...3 { q.append(UInt64(tag), client: x) }
        #expect(q.offer(4, client: y, max: 3) == .queuedEvicting(3))
        #expect(q.offer(5, client: x, max: 3) == .refused)  // x: 2, y: 1; x holds the most
        let removed = q.remove { $0 == 4 }
        #expect(removed.others == [4] && removed.recovered.isEmpty && q.count == 2 && q.heaviestClient()?.count == 2)
    }
}
