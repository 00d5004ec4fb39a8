// BrokerService over real ZeroMQ sockets on ephemeral loopback ports, with hand-written worker
// slots. Waits poll with timeouts; nothing sleeps. Serialized: each test pumps sockets on its
// own thread and the machine has two cores.
import BrokerCore
import Codec
import Foundation
import Logging
import Routing
import Testing
import ZeroMQ

/// One broker, a client DEALER and worker slots, pumped together from the test's thread.
final class BrokerFixture {
    let service: BrokerService
    let client: ZeroMQ.Socket
    var workers: [TestWorkerSlot] = []
    /// Replies the client got: request id -> (rc, text), and how often each id was answered.
    var replies: [UInt64: (rc: Int32, text: String)] = [:]
    var answerCounts: [UInt64: Int] = [:]
    var adminAnswers: [[UInt8]] = []

    init(shards: Int = 64) throws {
        let settings = BrokerSettings(clientEndpoint: "tcp://127.0.0.1:*", workerEndpoint: "tcp://127.0.0.1:*",
                                      routing: RoutingSettings(shardCount: shards, heartbeatIntervalMillis: 50,
                                                               heartbeatLiveness: 4))
        var logger = Logger(label: "sepia.broker.test")
        logger.logLevel = .warning
        service = BrokerService(settings: settings, codec: TestWireCodec(), logger: logger)
        try service.start()
        client = try Socket(.dealer)
        try client.connect(service.clientEndpoint)
    }

    deinit { service.stop() }

    func addWorker(_ name: String) throws {
        workers.append(try TestWorkerSlot(name, endpoint: service.workerEndpoint))
    }

    func send(id: UInt64, oid: String, timeoutMillis: UInt64? = nil) throws {
        try client.send(BrokerFrames.delimiter, TestWireCodec.request(id: id, oid: oid, timeoutMillis: timeoutMillis))
    }

    /// Pumps everything until `done` holds or 10 s pass.
    @discardableResult
    func pump(until done: () -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if done() { return true }
            let live = workers.filter { !$0.isClosed }
            _ = try Poller.poll([client] + live.map(\.socket), timeoutMillis: 10)
            for worker in live { try worker.pump() }
            while let frames = try client.receive(dontWait: true) {
                if frames.count == 3, frames[1] == BrokerFrames.admin {
                    adminAnswers.append(frames[2])
                } else if frames.count == 2, let reply = TestWireCodec.decodeReply(frames[1]) {
                    replies[reply.id] = (reply.rc, reply.text)
                    answerCounts[reply.id, default: 0] += 1
                }
            }
        }
        return done()
    }

    /// Waits until the live workers hold every shard, balanced.
    func settle(workers count: Int, shards: Int = 64) throws {
        let ok = try pump {
            let live = workers.filter { !$0.isClosed }
            let sizes = live.map(\.open.count)
            return live.count == count && sizes.reduce(0, +) == shards && sizes.max()! - sizes.min()! <= 1
        }
        #expect(ok, "workers did not settle: \(workers.map { ($0.name, $0.open.count) })")
    }

    func status() throws -> [String: Any] {
        try client.send([BrokerFrames.delimiter, BrokerFrames.admin, Array("status".utf8)])
        let before = adminAnswers.count
        try pump { adminAnswers.count > before }
        let json = try JSONSerialization.jsonObject(with: Data(adminAnswers.last ?? []))
        return json as? [String: Any] ?? [:]
    }
}

@Suite(.serialized) struct BrokerServiceTests {
    @Test func routesAcrossThreeSlotsByShard() throws {
        let f = try BrokerFixture()
        for name in ["w1", "w2", "w3"] { try f.addWorker(name) }
        try f.settle(workers: 3)
        for id in 1...300 { try f.send(id: UInt64(id), oid: "object-\(id)") }
        #expect(try f.pump { f.replies.count == 300 })
        for id in 1...300 {
            let shard = UInt32(Placement.shard(of: Array("object-\(id)".utf8), shardCount: 64))
            let owner = f.workers.first { $0.open.contains(shard) }!
            #expect(f.replies[UInt64(id)]?.text == owner.name && f.replies[UInt64(id)]?.rc == 0)
        }
        #expect(f.workers.allSatisfy { !$0.served.isEmpty })
        let status = try f.status()
        #expect((status["workers"] as? [[String: Any]])?.count == 3)
        #expect(status["repliesForwarded"] as? Int == 300)
    }

    @Test func deadSlotsRequestsAreServedByTheOthers() throws {
        let f = try BrokerFixture()
        for name in ["w1", "w2", "w3"] { try f.addWorker(name) }
        try f.settle(workers: 3)
        let victim = f.workers[0]
        victim.answering = false
        let ids = (1...60).map(UInt64.init)
        for id in ids { try f.send(id: id, oid: "thing-\(id)") }
        let heldSome = try f.pump { f.replies.count + victim.held.count == ids.count }
        #expect(heldSome && !victim.held.isEmpty)
        victim.close()  // killed mid-request: the broker re-dispatches what it held
        #expect(try f.pump { f.replies.count == ids.count })
        #expect(f.answerCounts.values.allSatisfy { $0 == 1 })
        #expect(f.replies.values.allSatisfy { $0.rc == 0 && $0.text != victim.name })
        try f.settle(workers: 2)
    }

    @Test func malformedClientFramesAreAnsweredAndServiceContinues() throws {
        let f = try BrokerFixture(shards: 8)
        try f.addWorker("w1")
        try f.settle(workers: 1, shards: 8)
        try f.client.send(BrokerFrames.delimiter, [0xde, 0xad])
        try f.client.send([[1], [2], [3]])
        try f.client.send([BrokerFrames.delimiter, BrokerFrames.admin, Array("nonsense".utf8)])
        #expect(try f.pump { f.answerCounts[0] == 2 && f.adminAnswers.count == 1 })
        #expect(f.replies[0]?.rc == Errno.EBADMSG.rc && f.replies[0]?.text.hasPrefix("decode:") == true)
        #expect(String(decoding: f.adminAnswers[0], as: UTF8.self).contains("unknown admin command"))
        try f.send(id: 5, oid: "fine")
        #expect(try f.pump { f.replies[5]?.text == "w1" })
        let status = try f.status()
        #expect((status["errorsByKind"] as? [String: Int])?["decode"] == 2)
    }

    @Test func unknownSlotIsDisconnectedAndStopSaysGoodbye() throws {
        let f = try BrokerFixture(shards: 8)
        try f.addWorker("w1")
        try f.settle(workers: 1, shards: 8)
        let stranger = try Socket(.dealer)
        try stranger.setRoutingID(Array("stranger".utf8))
        try stranger.connect(f.service.workerEndpoint)
        try stranger.send(BrokerFrames.control, TestWireCodec().encodeControl(.heartbeat(epoch: 9)))
        #expect(try stranger.waitReadable(timeoutMillis: 5000))
        let frames = try #require(try stranger.receive())
        let control = try TestWireCodec().decodeControl(frames[1])
        #expect({ if case .disconnect = control { true } else { false } }())
        f.service.stop()
        #expect(try f.pump { f.workers[0].disconnects == 1 })
    }
}
