// A broker on ephemeral loopback ports, a client DEALER and test worker slots, pumped together
// from the test's thread.
import Codec
import BrokerCore
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

    /// `curve` turns CURVE on; `clientKeys` is then the fixture client's key pair.
    init(shards: Int = 64, curve: CurveServerSettings? = nil,
         clientKeys: (publicKey: String, secretKey: String)? = nil) throws {
        let settings = BrokerSettings(clientEndpoint: "tcp://127.0.0.1:*", workerEndpoint: "tcp://127.0.0.1:*",
                                      routing: RoutingSettings(shardCount: shards, heartbeatIntervalMillis: 50,
                                                               heartbeatLiveness: 4),
                                      curve: curve)
        var logger = Logger(label: "sepia.broker.test")
        logger.logLevel = .warning
        service = BrokerService(settings: settings, codec: TestWireCodec(), logger: logger)
        try service.start()
        client = try Socket(.dealer)
        if let curve, let clientKeys {
            try client.makeCurveClient(serverKey: try Curve.publicKey(ofSecret: curve.secretKey),
                                       publicKey: clientKeys.publicKey, secretKey: clientKeys.secretKey)
        }
        try client.connect(service.clientEndpoint)
    }

    deinit { service.stop() }

    func addWorker(_ name: String, curve: (serverKey: String, publicKey: String, secretKey: String)? = nil) throws {
        workers.append(try TestWorkerSlot(name, endpoint: service.workerEndpoint, curve: curve))
    }

    func send(id: UInt64, oid: String, timeoutMillis: UInt64? = nil) throws {
        try client.send(Frames.delimiter, TestWireCodec.request(id: id, oid: oid, timeoutMillis: timeoutMillis))
    }

    /// Pumps everything until `done` holds or `seconds` pass.
    @discardableResult
    func pump(within seconds: TimeInterval = 10, until done: () -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if done() { return true }
            let live = workers.filter { !$0.isClosed && !$0.paused }
            _ = try Poller.poll([client] + live.map(\.socket), timeoutMillis: 10)
            for worker in live { try worker.pump() }
            while let frames = try client.receive(dontWait: true) {
                if frames.count == 3, frames[1] == Frames.admin {
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
        try client.send([Frames.delimiter, Frames.admin, Array("status".utf8)])
        let before = adminAnswers.count
        try pump { adminAnswers.count > before }
        let json = try JSONSerialization.jsonObject(with: Data(adminAnswers.last ?? []))
        return json as? [String: Any] ?? [:]
    }
}
