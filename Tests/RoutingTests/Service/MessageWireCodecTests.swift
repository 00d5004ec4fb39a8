// The production wire codec's refusals: the broker answers them under the request's own id
// whenever the frame lets it be read, over real sockets and real msgpack.
import BrokerCore
import Codec
import Foundation
import Logging
import Routing
import Testing
import ZeroMQ

@Suite(.serialized, .timeLimit(.minutes(1))) struct MessageWireCodecTests {
    let codec = MessageWireCodec(maxFrameBytes: 1 << 20)

    /// {"v": version, "i": 42, "o": "x"} with the fields given, hand-encoded in msgpack.
    static func body(version: UInt8 = 1, oid: Bool = true, trailing: [UInt8] = []) -> [UInt8] {
        let fields: [[UInt8]] = [[0xa1, UInt8(ascii: "v"), version], [0xa1, UInt8(ascii: "i"), 42]]
            + (oid ? [[0xa1, UInt8(ascii: "o"), 0xa1, UInt8(ascii: "x")]] : [])
        return [0x80 | UInt8(fields.count)] + fields.flatMap { $0 } + trailing
    }

    static let refused: [(name: String, body: [UInt8], rc: Int32, kind: ErrorKind)] = [
        ("bad version", body(version: 2), Errno.EPROTONOSUPPORT.rc, .version),
        ("missing oid", body(oid: false), Errno.EBADMSG.rc, .decode),
        ("trailing bytes", body(trailing: [0xc0]), Errno.EBADMSG.rc, .decode),
    ]

    @Test func wellFormedBodyPeeks() throws {
        #expect(try codec.peekRequest(Self.body()).id == 42)
    }

    @Test func refusedFramesStillYieldTheirID() {
        for item in Self.refused {
            #expect(throws: DecodeError.self, "\(item.name)") { try codec.peekRequest(item.body) }
            #expect(codec.requestID(ofRefused: item.body) == 42, "\(item.name)")
        }
        // Broken before the id: nothing to read.
        #expect(codec.requestID(ofRefused: [0x82, 0xa1, UInt8(ascii: "v")]) == 0)
    }

    @Test func brokerAnswersRefusalsUnderTheRequestID() throws {
        var logger = Logger(label: "sepia.broker.test")
        logger.logLevel = .critical
        let service = BrokerService(settings: BrokerSettings(clientEndpoint: "tcp://127.0.0.1:*",
                                                             workerEndpoint: "tcp://127.0.0.1:*"),
                                    codec: codec, logger: logger)
        try service.start()
        defer { service.stop() }
        let client = try Socket(.dealer)
        try client.connect(service.clientEndpoint)
        for item in Self.refused {
            try client.send(Frames.delimiter, item.body)
            #expect(try client.waitReadable(timeoutMillis: 5000), "\(item.name): no answer")
            let frames = try #require(try client.receive())
            let reply = try Reply.decode(frames[1])
            #expect(reply.id == 42 && reply.rc == item.rc && reply.error?.kind == item.kind, "\(item.name): \(reply)")
        }
    }
}
