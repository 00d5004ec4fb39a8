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

@Suite(.serialized) struct BrokerServiceTests {
    @Test func routesAcrossThreeSlotsByShard() throws {
        let f = try BrokerFixture()
        for name in ["w1", "w2", "w3"] { try f.addWorker(name) }
        try f.settle(workers: 3)
        for id in 1...300 { try f.send(id: UInt64(id), oid: "object-\(id)") }
        #expect(try f.pump { f.replies.count == 300 })
        for id in 1...300 {
            let shard = Placement.shard(of: Array("object-\(id)".utf8), shardCount: 64)
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

    @Test func pausedSlotIsDeclaredDeadThenFencedWhenItResumes() throws {
        let f = try BrokerFixture()
        for name in ["w1", "w2"] { try f.addWorker(name) }
        try f.settle(workers: 2)
        let sleeper = f.workers[0]
        sleeper.paused = true  // silent: no heartbeats for 4 x 50 ms
        for id in 1...40 { try f.send(id: UInt64(id), oid: "p-\(id)") }
        // w2 takes over every shard and serves everything, including what waited at w1.
        #expect(try f.pump { f.replies.count == 40 && f.workers[1].open.count == 64 })
        #expect(f.replies.values.allSatisfy { $0.text == "w2" })
        // w1 resumes, still believing it owns its shards: told to disconnect, it closes them,
        // registers again and gets its share back through a hand-over from w2.
        sleeper.paused = false
        #expect(try f.pump { sleeper.disconnects >= 1 })
        try f.settle(workers: 2)
        #expect(f.answerCounts.values.allSatisfy { $0 == 1 })
    }

    @Test func malformedClientFramesAreAnsweredAndServiceContinues() throws {
        let f = try BrokerFixture(shards: 8)
        try f.addWorker("w1")
        try f.settle(workers: 1, shards: 8)
        try f.client.send(Frames.delimiter, [0xde, 0xad])
        try f.client.send([[1], [2], [3]])
        try f.client.send([Frames.delimiter, Frames.admin, Array("nonsense".utf8)])
        #expect(try f.pump { f.answerCounts[0] == 2 && f.adminAnswers.count == 1 })
        #expect(f.replies[0]?.rc == Errno.EBADMSG.rc && f.replies[0]?.text.hasPrefix("decode:") == true)
        #expect(String(decoding: f.adminAnswers[0], as: UTF8.self).contains("unknown admin command"))
        try f.send(id: 5, oid: "fine")
        #expect(try f.pump { f.replies[5]?.text == "w1" })
        let status = try f.status()
        #expect((status["errorsByKind"] as? [String: Int])?["decode"] == 2)
    }

    @Test func statusDocumentWritesEndpointsWithoutEscapedSlashes() throws {
        let f = try BrokerFixture(shards: 8)
        _ = try f.status()
        let text = String(decoding: f.adminAnswers.last ?? [], as: UTF8.self)
        #expect(text.contains("\"clientEndpoint\":\"tcp://127.0.0.1:"), "\(text)")
        #expect(!text.contains("\\/"))
    }

    @Test func curveAdmitsListedKeysOnly() throws {
        let server = try Curve.keyPair(), client = try Curve.keyPair(), worker = try Curve.keyPair()
        let intruderKeys = try Curve.keyPair()
        let f = try BrokerFixture(shards: 8, curve: CurveServerSettings(secretKey: server.secretKey,
                                                                        clientKeys: [client.publicKey],
                                                                        workerKeys: [worker.publicKey]),
                                  clientKeys: client)
        try f.addWorker("w1", curve: (server.publicKey, worker.publicKey, worker.secretKey))
        try f.settle(workers: 1, shards: 8)
        try f.send(id: 1, oid: "secret")
        #expect(try f.pump { f.replies[1]?.text == "w1" })
        // A client whose key is not listed never completes the handshake: nothing reaches it.
        let intruder = try Socket(.dealer)
        try intruder.makeCurveClient(serverKey: server.publicKey, publicKey: intruderKeys.publicKey,
                                     secretKey: intruderKeys.secretKey)
        try intruder.connect(f.service.clientEndpoint)
        try intruder.send(Frames.delimiter, TestWireCodec.request(id: 2, oid: "secret"))
        var status = try f.status()
        for _ in 0..<100 where status["authRejected"] as? Int ?? 0 == 0 {
            _ = try intruder.waitReadable(timeoutMillis: 20)
            status = try f.status()
        }
        #expect(status["authRejected"] as? Int ?? 0 >= 1)
        #expect(try !intruder.waitReadable(timeoutMillis: 0))
    }

    @Test func unknownSlotIsDisconnectedAndStopSaysGoodbye() throws {
        let f = try BrokerFixture(shards: 8)
        try f.addWorker("w1")
        try f.settle(workers: 1, shards: 8)
        let stranger = try Socket(.dealer)
        try stranger.setRoutingID(Array("stranger".utf8))
        try stranger.connect(f.service.workerEndpoint)
        try stranger.send(Frames.control, TestWireCodec().encodeControl(.heartbeat(epoch: 9)))
        #expect(try stranger.waitReadable(timeoutMillis: 5000))
        let frames = try #require(try stranger.receive())
        let control = try TestWireCodec().decodeControl(frames[1])
        #expect({ if case .disconnect = control { true } else { false } }())
        f.service.stop()
        #expect(try f.pump { f.workers[0].disconnects == 1 })
    }
}
