// A hand-written worker slot for the broker's socket tests: a DEALER that obeys controls at
// once and answers each request with its own name, or holds requests when told to.
import BrokerCore
import Codec
import Routing
import ZeroMQ

final class TestWorkerSlot {
    let name: String
    let socket: ZeroMQ.Socket
    private let codec = TestWireCodec()
    private(set) var open: Set<UInt32> = []
    /// Ids of the requests it answered.
    private(set) var served: [UInt64] = []
    /// Dispatches held instead of answered (while `answering` is false).
    private(set) var held: [(tag: [UInt8], id: UInt64)] = []
    var answering = true
    /// Paused (a stopped process): the fixture does not pump it, its messages wait unread.
    var paused = false
    private(set) var disconnects = 0
    private(set) var isClosed = false

    /// `curve`: the broker's public key and this worker's key pair, when the broker uses CURVE.
    init(_ name: String, endpoint: String, curve: (serverKey: String, publicKey: String, secretKey: String)? = nil) throws {
        self.name = name
        socket = try Socket(.dealer)
        try socket.setRoutingID(Array(name.utf8))
        if let curve {
            try socket.makeCurveClient(serverKey: curve.serverKey, publicKey: curve.publicKey, secretKey: curve.secretKey)
        }
        try socket.connect(endpoint)
        try sendControl(.ready(ReadyInfo(worker: name, pid: 1, host: "test", thread: 0, threads: 1)))
    }

    /// Killed: the socket goes away without a goodbye.
    func close() {
        isClosed = true
        socket.close()
    }

    func sendControl(_ control: Control) throws {
        try socket.send(Frames.control, codec.encodeControl(control))
    }

    /// Handles every message waiting, without blocking.
    func pump() throws {
        while let frames = try socket.receive(dontWait: true) {
            if frames.count == 2, frames[0] == Frames.control {
                try obey(try codec.decodeControl(frames[1]))
            } else if frames.count == 3, frames[0] == Frames.dispatch,
                      let request = TestWireCodec.decodeRequest(frames[2]) {
                if answering {
                    served.append(request.id)
                    try socket.send(Frames.reply, frames[1], TestWireCodec.reply(id: request.id, rc: 0, text: name))
                } else {
                    held.append((frames[1], request.id))
                }
            }
        }
    }

    private func obey(_ control: Control) throws {
        switch control {
        case .assign(let epoch, _, let shards):
            open.formUnion(shards)
            try sendControl(.opened(epoch: epoch, shards: shards))
        case .release(let epoch, let shards):
            open.subtract(shards)
            try sendControl(.released(epoch: epoch, shards: shards))
        case .heartbeat(let epoch):
            try sendControl(.heartbeat(epoch: epoch))
        case .disconnect:
            // The fencing duty: close every shard, register again.
            disconnects += 1
            open.removeAll()
            try sendControl(.ready(ReadyInfo(worker: name, pid: 1, host: "test", thread: 0, threads: 1)))
        default: break
        }
    }
}
