// The routing state machine without sockets: placement, hand-over, death, flow control,
// deadlines, fencing and liveness, with injected time.
import Codec
import Testing
@testable import Routing

@Suite struct RoutingStateMachineTests {
    let a = SlotID("a"), b = SlotID("b"), c = SlotID("c")

    @Test func firstSlotGetsEveryShardAndServes() {
        var h = RoutingHarness()
        h.ready("a")
        #expect(h.controls.count == 1)
        guard case .assign(let epoch, 8, let list) = h.controls[0].control else { Issue.record("no assign"); return }
        #expect(epoch == 1 && list == Array(0..<8))
        h.request(id: 1, oid: "x")
        #expect(h.dispatches.isEmpty)  // assigned, not yet opened: it waits
        h.settle()
        #expect(h.dispatches.count == 1 && h.dispatches[0].slot == a)
        h.reply(a, tag: h.dispatches[0].tag)
        #expect(h.answers.count == 1 && h.answers[0].id == 1 && h.answers[0].rc == 0)
    }

    @Test func joinsRebalanceWithFewMoves() {
        var h = RoutingHarness(RoutingSettings(shardCount: 64))
        h.ready("a"); h.settle()
        h.ready("b")
        let released = h.controls.filter { if case .release = $0.control { true } else { false } }
        #expect(released.count == 1 && released[0].slot == a)
        if case .release(_, let list) = released[0].control { #expect(list.count == 32) }
        h.settle()
        #expect(h.servingCounts() == [a: 32, b: 32])
        h.ready("c"); h.settle()
        let counts = h.servingCounts()
        #expect(counts.values.max()! - counts.values.min()! <= 1 && counts[c] == 21)
        // c leaves: only its 21 shards move, straight to the others (no release from the dead).
        h.control("c", .disconnect(reason: "bye"))
        let moved = h.controls.reduce(0) { n, item in
            if case .assign(_, _, let list) = item.control { n + list.count } else { n }
        }
        #expect(moved == 21 && !h.controls.contains { if case .release = $0.control { true } else { false } })
        h.settle()
        #expect(h.servingCounts() == [a: 32, b: 32])
    }

    @Test func handOverQueuesAndDispatchesInOrderAfterOpened() {
        var h = RoutingHarness()
        h.ready("a"); h.settle()
        h.ready("b")  // a is asked to release half its shards
        guard case .release(_, let moving) = h.controls.first(where: { $0.slot == a })?.control else {
            Issue.record("no release"); return
        }
        let oid = h.oid(forShard: Int(moving[0]))
        for id in 1...5 { h.request(id: UInt64(id), oid: oid) }
        #expect(h.dispatches.isEmpty)
        #expect(h.machine.snapshot(now: h.now).queueDepths[Int(moving[0])] == 5)
        // released -> assign(b); still waiting until b says opened.
        h.control("a", .released(epoch: h.machine.epoch, shards: moving))
        #expect(h.dispatches.isEmpty)
        #expect(h.controls.contains { $0.slot == b && $0.control == .assign(epoch: h.machine.epoch, shardCount: 8, shards: moving) })
        h.control("b", .opened(epoch: h.machine.epoch, shards: moving))
        #expect(h.dispatches.map(\.slot) == Array(repeating: b, count: 5))
        #expect(h.dispatches.map(\.body) == (1...5).map { Bytes(utf8: "body-\($0)") })
    }

    @Test func deadSlotsRequestsAreDispatchedAgainAndLateRepliesDropped() {
        var h = RoutingHarness()
        h.ready("a"); h.ready("b"); h.settle()
        let shardOfA = h.machine.servingOwners.firstIndex(of: a)!
        let oid = h.oid(forShard: shardOfA)
        h.request(id: 1, oid: oid)
        h.request(id: 2, oid: oid)
        let first = h.dispatches
        #expect(first.count == 2 && first.allSatisfy { $0.slot == a })
        // b keeps beating; a falls silent past 3 intervals of 100 ms.
        for _ in 0..<4 {
            h.advance(millis: 100)
            h.control("b", .heartbeat(epoch: h.machine.epoch))
        }
        #expect(h.machine.snapshot(now: h.now).slots.map(\.id) == [b])
        h.settle()
        let again = h.dispatches.dropFirst(2)
        #expect(again.map(\.slot) == [b, b] && again.map(\.body) == first.map(\.body))
        #expect(Set(again.map(\.tag)).isDisjoint(with: first.map(\.tag)))
        // a comes back from a pause and answers: it is fenced, the reply is not forwarded.
        h.reply(a, tag: first[0].tag)
        #expect(h.answers.isEmpty)
        #expect(h.controls.last?.slot == a && { if case .disconnect = h.controls.last!.control { true } else { false } }())
        // b answers both; a duplicate of b's first reply is dropped.
        for d in again { h.reply(b, tag: d.tag) }
        h.reply(b, tag: again.first!.tag)
        #expect(h.answers.map(\.id) == [1, 2])
        #expect(h.machine.lateRepliesDropped == 1)
    }

    @Test func fullShardQueueAndClientLimitAnswerBusy() {
        var h = RoutingHarness(RoutingSettings(shardCount: 4, shardQueueMax: 2, clientInflightMax: 3))
        let oid = h.oid(forShard: 0)
        for id in 1...3 { h.request(id: UInt64(id), oid: oid) }  // no workers: queue of 2, third busy
        #expect(h.answers.map(\.id) == [3] && h.answers[0].rc == Errno.EBUSY.rc)
        h.request(id: 4, oid: h.oid(forShard: 1))
        h.request(id: 5, oid: h.oid(forShard: 2))  // client has 3 in flight: busy
        #expect(h.answers.map(\.id) == [3, 5] && h.answers[1].rc == Errno.EBUSY.rc)
        h.request(client: "c2", id: 5, oid: h.oid(forShard: 2))  // another client is fine
        #expect(h.answers.count == 2)
        // A worker comes: everything queued is dispatched.
        h.ready("a"); h.settle()
        #expect(h.dispatches.count == 4)
    }

    @Test func retriedRequestIdIsAnsweredOnce() {
        var h = RoutingHarness()
        h.ready("a"); h.settle()
        h.request(id: 7, oid: "x")
        h.request(id: 7, oid: "x")
        #expect(h.dispatches.count == 1)
        h.reply(a, tag: h.dispatches[0].tag)
        #expect(h.answers.count == 1)
    }

    @Test func expiredQueuedRequestsTimeOut() {
        var h = RoutingHarness()
        h.request(id: 1, oid: "x", timeoutMillis: 150)
        h.request(id: 2, oid: "x", timeoutMillis: 1000)
        h.request(id: 3, oid: "x", timeoutMillis: 150)
        h.advance(millis: 100)
        #expect(h.answers.isEmpty)
        h.advance(millis: 100)
        #expect(h.answers.map(\.id) == [1, 3] && h.answers.allSatisfy { $0.rc == Errno.ETIMEDOUT.rc })
        // The drain path checks deadlines too: 2 expires between tick and opened.
        h.ready("a")
        h.now += 900_000_000
        h.settle()
        #expect(h.answers.map(\.id) == [1, 3, 2] && h.dispatches.isEmpty)
    }

    @Test func unknownSlotIsToldToReRegister() {
        var h = RoutingHarness()
        h.control("ghost", .heartbeat(epoch: 3))
        h.control("ghost", .opened(epoch: 3, shards: [1]))
        h.reply(SlotID("ghost"), tag: 12)
        // Once per heartbeat interval, however many messages it sends.
        #expect(h.controls.count == 1 && h.controls.allSatisfy {
            if case .disconnect = $0.control { $0.slot == SlotID("ghost") } else { false }
        })
        h.advance(millis: 100)
        h.control("ghost", .heartbeat(epoch: 3))
        #expect(h.controls.count == 2)
        h.controls.removeAll()
        h.control("ghost", .ready(RoutingHarness.info("ghost")))
        #expect(h.controls.contains { if case .assign = $0.control { true } else { false } })
    }

    @Test func heartbeatsGoOutEachIntervalAndKeepSlotsAlive() {
        var h = RoutingHarness()
        h.ready("a"); h.settle()
        var beats = 0
        for _ in 0..<20 {
            h.advance(millis: 50)
            h.control("a", .heartbeat(epoch: h.machine.epoch))
            beats += h.controls.filter { $0.control == .heartbeat(epoch: h.machine.epoch) }.count
            h.controls.removeAll()
        }
        #expect(beats == 10)  // 1000 ms at a 100 ms interval
        #expect(h.machine.snapshot(now: h.now).slots.count == 1)
        h.advance(millis: 300)
        #expect(h.machine.snapshot(now: h.now).slots.count == 1)  // exactly at the limit: alive
        h.advance(millis: 1)
        #expect(h.machine.snapshot(now: h.now).slots.isEmpty)
        #expect(h.machine.snapshot(now: h.now).unownedShards == 8)
    }

    @Test func busySlotGetsTheGraceBeforeItIsDead() {
        var settings = RoutingSettings(shardCount: 8, heartbeatIntervalMillis: 100, heartbeatLiveness: 3)
        settings.busyGraceMillis = 1000
        var h = RoutingHarness(settings)
        h.ready("a"); h.settle()
        h.request(id: 1, oid: "x")  // in flight at a: a cannot heartbeat while it runs it
        h.advance(millis: 1300)
        #expect(h.machine.snapshot(now: h.now).slots.count == 1)  // 300 ms + 1000 ms grace: alive
        h.advance(millis: 1)
        #expect(h.machine.snapshot(now: h.now).slots.isEmpty)
    }

    @Test func reRegisteringSlotIsTreatedAsRestarted() {
        var h = RoutingHarness()
        h.ready("a"); h.settle()
        h.request(id: 1, oid: "x")
        h.ready("a")  // restarted process, same slot name: in-flight goes again after opened
        h.settle()
        #expect(h.dispatches.count == 2 && h.dispatches[0].tag != h.dispatches[1].tag)
    }

    @Test func shutdownAnswersEveryoneAndSaysGoodbye() {
        var h = RoutingHarness()
        h.ready("a"); h.settle()
        h.request(id: 1, oid: "x")
        h.request(id: 2, oid: "y")
        h.record(h.machine.shutdown(reason: "stop"))
        #expect(h.answers.map(\.id) == [1, 2] && h.answers.allSatisfy { $0.rc == Errno.EBUSY.rc })
        #expect(h.controls.last?.control == .disconnect(reason: "stop"))
    }
}
