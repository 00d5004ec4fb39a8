// A worker slot for the broker's socket tests: a DEALER driven by the worker's real protocol
// machine (OSDCore's SlotStateMachine) that "opens" every shard at once and answers each request
// with its own name, or holds requests when told to.
import BrokerCore
import Codec
import Dispatch
import OSDCore
import Routing
import ZeroMQ

final class TestWorkerSlot {
    let name: String
    let socket: ZeroMQ.Socket
    private let codec = TestWireCodec()
    private var machine: SlotStateMachine
    var open: Set<UInt32> { machine.open }
    /// Ids of the requests it answered.
    private(set) var served: [UInt64] = []
    /// Dispatches held instead of answered (while `answering` is false).
    private(set) var held: [(tag: [UInt8], id: UInt64)] = []
    var answering = true
    /// Paused (a stopped process): the fixture does not pump it, its messages wait unread.
    var paused = false
    /// Times the broker told it to disconnect.
    private(set) var disconnects = 0
    private(set) var isClosed = false

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// `curve`: the broker's public key and this worker's key pair, when the broker uses CURVE.
    /// `heartbeatMillis`: the broker's heartbeat interval.
    init(_ name: String, endpoint: String, heartbeatMillis: UInt64 = 50, liveness: UInt64 = 4,
         curve: (serverKey: String, publicKey: String, secretKey: String)? = nil) throws {
        self.name = name
        machine = SlotStateMachine(settings: SlotStateMachine.Settings(heartbeatIntervalNanos: heartbeatMillis * 1_000_000,
                                                                       heartbeatLiveness: liveness), now: Self.now())
        socket = try Socket(.dealer)
        try socket.setRoutingID(Array(name.utf8))
        if let curve {
            try socket.makeCurveClient(serverKey: curve.serverKey, publicKey: curve.publicKey, secretKey: curve.secretKey)
        }
        try socket.connect(endpoint)
        try perform(machine.connected(now: Self.now()))
    }

    /// Killed: the socket goes away without a goodbye.
    func close() {
        isClosed = true
        socket.close()
    }

    func sendControl(_ control: Control) throws {
        try socket.send(Frames.control, codec.encodeControl(control))
    }

    /// Handles every message waiting, without blocking, and whatever time asks for.
    func pump() throws {
        try perform(machine.tick(now: Self.now(), framesWaiting: try socket.waitReadable(timeoutMillis: 0), statsChanged: false))
        while let frames = try socket.receive(dontWait: true) {
            if frames.count == 2, frames[0] == Frames.control {
                let control = try codec.decodeControl(frames[1])
                if case .disconnect = control { disconnects += 1 }
                try perform(machine.controlArrived(control, now: Self.now()))
            } else if frames.count == 3, frames[0] == Frames.dispatch,
                      let request = TestWireCodec.decodeRequest(frames[2]) {
                machine.heard(now: Self.now())
                if answering {
                    served.append(request.id)
                    try socket.send(Frames.reply, frames[1], TestWireCodec.reply(id: request.id, rc: 0, text: name))
                } else {
                    held.append((frames[1], request.id))
                }
            }
        }
    }

    private func perform(_ actions: [SlotAction]) throws {
        for action in actions {
            switch action {
            case .send(.register):
                try sendControl(.ready(ReadyInfo(worker: name, pid: 1, host: "test", thread: 0, threads: 1)))
            case .send(.reportStats):
                break
            case .send(.control(let control)):
                try sendControl(control)
            case .open(let shards):
                try perform(machine.openFinished(opened: shards, now: Self.now()))
            case .reconnect:
                // The same socket stands for the new connection: the fixture polls it.
                try perform(machine.connected(now: Self.now()))
            case .repair:
                machine.repairFailed([])
            case .close, .closeAll, .log:
                break
            }
        }
    }
}
