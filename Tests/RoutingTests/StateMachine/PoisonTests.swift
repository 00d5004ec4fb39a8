// Poison containment: a request whose execution loses its worker is dispatched at most once
// more; if that copy loses its worker too, the client gets -EFAULT kind `poison`, retries of the
// same (client, id) get the same answer for a while, and the shard keeps being served.
import Codec
import Testing
@testable import Routing

@Suite struct PoisonTests {
    let a = SlotID("a"), b = SlotID("b"), c = SlotID("c")

    /// Three slots serving; returns the harness.
    func cluster() -> RoutingHarness {
        var h = RoutingHarness()
        for name in ["a", "b", "c"] { h.ready(name); h.settle() }
        return h
    }

    /// Kills the slot the last dispatch went to (the loop found it unroutable), lets the others
    /// take its shards, and returns the slot that was killed.
    @discardableResult
    func killLastDispatchTarget(_ h: inout RoutingHarness) -> SlotID {
        let slot = h.dispatches.last!.slot
        h.record(h.machine.slotUnreachable(slot, now: h.now))
        h.settle()
        return slot
    }

    @Test func secondLostWorkerAnswersPoisonAndNeverDispatchesAgain() {
        var h = cluster()
        h.request(id: 7, oid: "bomb")
        #expect(h.dispatches.count == 1)
        let first = killLastDispatchTarget(&h)
        #expect(h.dispatches.count == 2, "re-dispatched once after the first lost worker")
        #expect(h.dispatches[1].slot != first && h.answers.isEmpty)
        killLastDispatchTarget(&h)
        #expect(h.dispatches.count == 2, "never a third dispatch")
        #expect(h.answers.count == 1)
        #expect(h.answers[0].id == 7 && h.answers[0].rc == Errno.EFAULT.rc)
        #expect(h.machine.snapshot(now: h.now).pendingTotal == 0)
        #expect(h.machine.poisonRefused == 1)

        // A retry of the same (client, id) gets the same answer without a dispatch.
        h.request(id: 7, oid: "bomb")
        #expect(h.dispatches.count == 2)
        #expect(h.answers.count == 2 && h.answers[1].id == 7 && h.answers[1].rc == Errno.EFAULT.rc)
        // Another client's request with that id is not poison, and the shard serves.
        h.request(client: "c2", id: 7, oid: "bomb")
        #expect(h.dispatches.count == 3)
        h.reply(h.dispatches[2].slot, tag: h.dispatches[2].tag)
        #expect(h.answers.last?.rc == 0 && h.answers.last?.client == Bytes(utf8: "c2"))
    }

    @Test func poisonErrorNamesTheRequestAndKind() {
        var h = cluster()
        var errors: [SepiaError] = []
        h.request(id: 9, oid: "bomb")
        killLastDispatchTarget(&h)
        let slot = h.dispatches.last!.slot
        for action in h.machine.slotUnreachable(slot, now: h.now) {
            if case .replyError(_, 9, let error) = action { errors.append(error) }
        }
        #expect(errors.count == 1)
        #expect(errors.first?.kind == .poison && errors.first?.rc == Errno.EFAULT.rc)
        #expect(errors.first?.message.contains("request 9 (oid 'bomb'") == true)
    }

    @Test func oneLostWorkerThenAnAnswerIsANormalReply() {
        var h = cluster()
        h.request(id: 1, oid: "x")
        killLastDispatchTarget(&h)
        h.reply(h.dispatches[1].slot, tag: h.dispatches[1].tag)
        #expect(h.answers.count == 1 && h.answers[0].rc == 0)
        #expect(h.machine.poisonRefused == 0)
    }

    @Test func slotDeclaredDeadBySilenceCountsAsLost() {
        var h = RoutingHarness()
        h.ready("a"); h.settle()
        h.ready("b"); h.settle()
        h.request(id: 3, oid: "x")
        for _ in 0..<2 {
            let victim = h.dispatches.last!.slot
            // Only the other slot keeps heartbeating; the victim is silent past the limit.
            for _ in 0..<5 {
                for name in ["a", "b", "c"] where SlotID(name) != victim && h.machine.snapshot(now: h.now).slots.contains(where: { $0.id == SlotID(name) }) {
                    h.control(name, .heartbeat(epoch: 0))
                }
                h.advance(millis: 100)
            }
            h.settle()
            // The dead slot comes back (a restarted worker) so there is somewhere to go next.
            h.ready(victim.description); h.settle()
        }
        #expect(h.dispatches.count == 2)
        #expect(h.answers.count == 1 && h.answers[0].rc == Errno.EFAULT.rc)
    }

    @Test func recallIsBoundedInTimeAndCount() {
        var settings = RoutingSettings(shardCount: 8, heartbeatIntervalMillis: 100, heartbeatLiveness: 3,
                                       shardQueueMax: 16, clientInflightMax: 64)
        settings.poisonRecallMillis = 1000
        settings.poisonRecallMax = 2
        var h = RoutingHarness(settings)
        for name in ["a", "b", "c"] { h.ready(name); h.settle() }
        for id in 1...3 as ClosedRange<UInt64> {
            h.request(id: id, oid: "bomb\(id)")
            killLastDispatchTarget(&h)
            killLastDispatchTarget(&h)
            for name in ["a", "b", "c"] { h.ready(name); h.settle() }  // restarted workers
        }
        #expect(h.machine.poisonRefused == 3 && h.machine.poisoned.count == 2)
        // id 1 was forgotten (count bound): its retry is dispatched; id 3 is still refused.
        let before = h.dispatches.count
        h.request(id: 3, oid: "bomb3")
        #expect(h.dispatches.count == before && h.answers.last?.rc == Errno.EFAULT.rc)
        h.request(id: 1, oid: "bomb1")
        #expect(h.dispatches.count == before + 1)
        // After the recall time, id 3 is forgotten too.
        for _ in 0..<11 {
            for name in ["a", "b", "c"] { h.control(name, .heartbeat(epoch: 0)) }
            h.advance(millis: 100)
        }
        h.request(id: 3, oid: "bomb3")
        #expect(h.dispatches.count == before + 2)
    }
}
