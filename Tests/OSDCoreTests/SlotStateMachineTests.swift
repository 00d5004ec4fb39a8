// The worker slot's protocol without sockets: registration, assign/opened with pending opens,
// release/released, epochs, fencing on disconnect and on broker silence, heartbeats (also
// between the requests of a round), stats, repair, and which shard a request is served from.
import Codec
import Testing
@testable import OSDCore

@Suite struct SlotStateMachineTests {
    static let ms: UInt64 = 1_000_000
    static let settings = SlotStateMachine.Settings(heartbeatIntervalNanos: 100 * ms, heartbeatLiveness: 3)

    /// A registered machine at t = 1 s.
    static func registered() -> (SlotStateMachine, UInt64) {
        var m = SlotStateMachine(settings: settings, now: 1000 * ms)
        #expect(m.connected(now: 1000 * ms) == [.send(.register)])
        return (m, 1000 * ms)
    }

    static func request(_ oid: String, shard: UInt32? = nil, ops: [Op] = [.stat]) -> Request {
        Request(id: 1, oid: Bytes(utf8: oid), ops: ops, shard: shard)
    }

    @Test func assignOpensAndReportsWhatOpened() {
        var (m, now) = Self.registered()
        #expect(m.controlArrived(.assign(epoch: 3, shardCount: 8, shards: [1, 2, 5]), now: now) == [.open([1, 2, 5])])
        #expect(m.epoch == 3 && m.shardCount == 8)
        // Shard 2's previous owner still holds its lock.
        #expect(m.openFinished(opened: [1, 5], now: now) == [.send(.control(.opened(epoch: 3, shards: [1, 5])))])
        #expect(m.open == [1, 5] && m.pendingOpen == [2])
        // Retried after the open interval, not before.
        #expect(!m.tick(now: now + 50 * Self.ms, framesWaiting: false, statsChanged: false).contains(.open([2])))
        now += 150 * Self.ms
        #expect(m.tick(now: now, framesWaiting: false, statsChanged: false).contains(.open([2])))
        #expect(m.openFinished(opened: [2], now: now) == [.send(.control(.opened(epoch: 3, shards: [2])))])
        #expect(m.open == [1, 2, 5] && m.pendingOpen.isEmpty)
    }

    @Test func assignOfOpenShardsIsAnsweredAtOnce() {
        var (m, now) = Self.registered()
        _ = m.controlArrived(.assign(epoch: 1, shardCount: 8, shards: [1]), now: now)
        _ = m.openFinished(opened: [1], now: now)
        #expect(m.controlArrived(.assign(epoch: 2, shardCount: 8, shards: [1, 3]), now: now)
                == [.send(.control(.opened(epoch: 2, shards: [1]))), .open([3])])
        // An older epoch never lowers ours.
        _ = m.controlArrived(.assign(epoch: 1, shardCount: 8, shards: []), now: now)
        #expect(m.epoch == 2)
    }

    @Test func anotherShardCountClosesEverything() {
        var (m, now) = Self.registered()
        _ = m.controlArrived(.assign(epoch: 1, shardCount: 8, shards: [1, 2]), now: now)
        _ = m.openFinished(opened: [1], now: now)
        #expect(m.controlArrived(.assign(epoch: 2, shardCount: 16, shards: [9]), now: now) == [.closeAll, .open([9])])
        #expect(m.open.isEmpty && m.pendingOpen == [9] && m.shardCount == 16)
    }

    @Test func releaseClosesAndSaysReleased() {
        var (m, now) = Self.registered()
        _ = m.controlArrived(.assign(epoch: 1, shardCount: 8, shards: [1, 2, 3]), now: now)
        _ = m.openFinished(opened: [1, 2], now: now)
        #expect(m.controlArrived(.release(epoch: 4, shards: [2, 3]), now: now)
                == [.close([2, 3]), .send(.control(.released(epoch: 4, shards: [2, 3])))])
        #expect(m.open == [1] && m.pendingOpen.isEmpty && m.epoch == 4)
        // A store that opened after its release is not reported opened.
        #expect(m.openFinished(opened: [3], now: now).isEmpty)
        #expect(m.open == [1])
    }

    @Test func disconnectFencesAndRegistersAgain() {
        var (m, now) = Self.registered()
        _ = m.controlArrived(.assign(epoch: 1, shardCount: 8, shards: [1]), now: now)
        _ = m.openFinished(opened: [1], now: now)
        let actions = m.controlArrived(.disconnect(reason: "unknown worker slot"), now: now)
        #expect(actions.suffix(2) == [.closeAll, .reconnect])
        #expect(m.open.isEmpty && !m.isRegistered)
        #expect(m.tick(now: now + 10_000 * Self.ms, framesWaiting: false, statsChanged: true).isEmpty, "nothing sent unregistered")
        now += 10
        #expect(m.connected(now: now) == [.send(.register)])
    }

    @Test func brokerSilenceFencesUnlessFramesWait() {
        var (m, now) = Self.registered()
        _ = m.controlArrived(.assign(epoch: 1, shardCount: 8, shards: [1]), now: now)
        _ = m.openFinished(opened: [1], now: now)
        now += 350 * Self.ms  // past 3 x 100 ms
        // Frames waiting: the silence was ours (a long round); read them first.
        #expect(!m.tick(now: now, framesWaiting: true, statsChanged: false).contains(.reconnect))
        #expect(m.open == [1])
        #expect(m.tick(now: now, framesWaiting: false, statsChanged: false).suffix(2) == [.closeAll, .reconnect])
        #expect(m.open.isEmpty)
    }

    @Test func anyFrameCountsAsHearing() {
        var (m, now) = Self.registered()
        now += 250 * Self.ms
        m.heard(now: now)
        now += 250 * Self.ms
        #expect(!m.tick(now: now, framesWaiting: false, statsChanged: false).contains(.reconnect))
    }

    @Test func heartbeatsWhenDueAlsoMidRound() {
        var (m, now) = Self.registered()
        _ = m.controlArrived(.assign(epoch: 7, shardCount: 8, shards: []), now: now)
        #expect(m.heartbeatIfDue(now: now + 50 * Self.ms).isEmpty)
        now += 100 * Self.ms
        m.heard(now: now)
        #expect(m.heartbeatIfDue(now: now) == [.send(.control(.heartbeat(epoch: 7)))])
        #expect(m.heartbeatIfDue(now: now + Self.ms).isEmpty, "once per interval")
        // Any control sent counts as a heartbeat.
        now += 100 * Self.ms
        _ = m.controlArrived(.release(epoch: 7, shards: [4]), now: now)
        #expect(m.heartbeatIfDue(now: now + 50 * Self.ms).isEmpty)
    }

    @Test func statsAtMostOncePerInterval() {
        var (m, now) = Self.registered()
        now += 100 * Self.ms
        m.heard(now: now)
        #expect(m.tick(now: now, framesWaiting: false, statsChanged: true).contains(.send(.reportStats)))
        #expect(!m.tick(now: now + 10 * Self.ms, framesWaiting: false, statsChanged: true).contains(.send(.reportStats)))
        #expect(!m.tick(now: now + 200 * Self.ms, framesWaiting: true, statsChanged: false).contains(.send(.reportStats)))
    }

    @Test func repairFailuresGoBackToPending() {
        var (m, now) = Self.registered()
        _ = m.controlArrived(.assign(epoch: 1, shardCount: 8, shards: [1, 2]), now: now)
        _ = m.openFinished(opened: [1, 2], now: now)
        now += 1100 * Self.ms
        m.heard(now: now)
        #expect(m.tick(now: now, framesWaiting: false, statsChanged: false).contains(.repair([1, 2])))
        m.repairFailed([2])
        #expect(m.open == [1] && m.pendingOpen == [2])
    }

    @Test func requestsAreServedOnlyFromTheirOpenHomeShard() {
        var (m, now) = Self.registered()
        let home = Placement.shard(of: Bytes(utf8: "obj"), shardCount: 8)
        let other = (home + 1) % 8
        _ = m.controlArrived(.assign(epoch: 1, shardCount: 8, shards: [home, other]), now: now)
        // Assigned but not open: retryable.
        guard case .failure(let notOpen) = m.shard(for: Self.request("obj"), slotName: "w/0") else {
            Issue.record("served from a shard not yet open"); return
        }
        #expect(notOpen.rc == Errno.EAGAIN.rc && notOpen.kind == .routing)
        _ = m.openFinished(opened: [home, other], now: now)
        #expect(m.shard(for: Self.request("obj"), slotName: "w/0") == .success(home))
        // Naming another shard is for listings only.
        guard case .failure(let wrong) = m.shard(for: Self.request("obj", shard: other), slotName: "w/0") else {
            Issue.record("a write put in a shard its name does not hash to"); return
        }
        #expect(wrong.rc == Errno.EINVAL.rc && wrong.kind == .decode)
        let listing = Self.request("", shard: other, ops: [.listObjects(startAfter: [], prefix: [], max: 10)])
        #expect(m.shard(for: listing, slotName: "w/0") == .success(other))
    }

    @Test func leavingSaysGoodbyeOnce() {
        var (m, _) = Self.registered()
        #expect(m.leave() == [.closeAll, .send(.control(.disconnect(reason: "worker stopping")))])
        #expect(m.leave() == [.closeAll])
    }
}

@Suite struct WatchdogRuleTests {
    @Test func aSlotIsStuckPastTwiceTheLimitAndASecond() {
        #expect(Watchdog.stuckAfterNanos(timeLimitMillis: 0) == nil, "no time limit, no watchdog")
        let limit = Watchdog.stuckAfterNanos(timeLimitMillis: 1000)!
        #expect(limit == 3_000_000_000)
        let now: UInt64 = 100_000_000_000
        #expect(Watchdog.stuckSlot(runningSince: [nil, now - limit + 1, now], now: now, limit: limit) == nil)
        let stuck = Watchdog.stuckSlot(runningSince: [nil, now - limit - 5, now - limit - 1], now: now, limit: limit)
        #expect(stuck?.slot == 1 && stuck?.nanos == limit + 5)
    }
}
