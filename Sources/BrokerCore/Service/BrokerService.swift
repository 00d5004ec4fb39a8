// The broker process's core: binds the client and worker ROUTER sockets and runs the routing
// loop on a thread of its own (zmq_poll blocks; it must never run on Swift's cooperative pool).
import Codec
import Foundation
import Logging
import ZeroMQ

/// Starts and stops the broker loop; reports resolved endpoints and a status snapshot.
///
/// `@unchecked Sendable`: the mutable state shared between the caller's thread and the loop
/// thread (the stop flag, the published status, the thread's completion) is only touched under
/// `lock`. The sockets (routers and ZAP handler) are created and bound in `start()` and from then
/// on used only by the loop thread, which also closes them; the caller never touches them again. `clientEndpoint`
/// and `workerEndpoint` are written once in `start()` before the thread exists.
public final class BrokerService: @unchecked Sendable {
    public let settings: BrokerSettings
    private let codec: any WireCodec
    private let logger: Logger
    private let context: Context
    private let lock = NSCondition()
    private var stopRequested = false
    private var running = false
    private var latest = BrokerStatus.empty
    /// The bound endpoints with wildcard ports resolved ("tcp://127.0.0.1:*" -> real port).
    public private(set) var clientEndpoint = ""
    public private(set) var workerEndpoint = ""

    public init(settings: BrokerSettings, codec: any WireCodec, logger: Logger = Logger(label: "sepia.broker"),
                context: Context = .shared) {
        self.settings = settings
        self.codec = codec
        self.logger = logger
        self.context = context
    }

    /// Binds both sockets (throws if an endpoint is taken or invalid) and starts the loop.
    public func start() throws {
        lock.lock()
        defer { lock.unlock() }
        precondition(!running, "BrokerService.start() called twice")
        // The ZAP handler is bound first, so no handshake ever finds it missing.
        let zapSocket = try settings.curve.map { _ in try ZapAuthenticator.bindSocket(context: context) }
        // Towards a client: every answer to its in-flight requests plus as many busy refusals
        // fit, so libzmq does not drop replies silently; their bytes are bounded by the reply
        // budget. Towards a slot: its window plus room for control messages.
        let routing = settings.routing
        let clients = try makeRouter(zapDomain: ZapAuthenticator.clientDomain,
                                     sendHWM: Self.hwm(2 * routing.clientInflightMax + 1024), receiveHWM: 100_000)
        let workers = try makeRouter(zapDomain: ZapAuthenticator.workerDomain,
                                     sendHWM: Self.hwm(routing.slotInflightMax + 1024), receiveHWM: 100_000)
        clientEndpoint = try clients.bind(settings.clientEndpoint)
        workerEndpoint = try workers.bind(settings.workerEndpoint)
        running = true
        stopRequested = false
        let thread = Thread { [self] in
            // Built here: the loop, its state machine and the ZAP handler belong to this thread alone.
            let zap = zapSocket.map { ZapAuthenticator(socket: $0, settings: settings.curve!) }
            let loop = BrokerLoop(clients: clients, workers: workers, zap: zap, settings: settings, codec: codec,
                                  logger: logger, endpoints: (clientEndpoint, workerEndpoint))
            loop.run(shouldStop: { lock.withLock { stopRequested } },
                     publish: { status in lock.withLock { latest = status } })
            clients.close()
            workers.close()
            zapSocket?.close()
            lock.withLock {
                running = false
                lock.broadcast()
            }
        }
        thread.name = "sepia-broker-loop"
        thread.start()
        logger.info("listening client=\(clientEndpoint) worker=\(workerEndpoint)")
    }

    /// Stops the loop (workers are told goodbye, waiting clients get a retryable EBUSY) and
    /// waits for it to end. Safe to call more than once.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        stopRequested = true
        while running { lock.wait() }
    }

    /// The latest status the loop published (at most about a second old).
    public func status() -> BrokerStatus { lock.withLock { latest } }

    static func hwm(_ messages: Int) -> Int32 { Int32(min(messages, Int(Int32.max))) }

    private func makeRouter(zapDomain: String, sendHWM: Int32, receiveHWM: Int32) throws -> Socket {
        let socket = try Socket(.router, context: context)
        if let curve = settings.curve {
            try socket.makeCurveServer(secretKey: curve.secretKey, zapDomain: zapDomain)
        }
        // Unroutable sends fail instead of vanishing: a gone worker is noticed at once.
        try socket.setRouterMandatory(true)
        // A restarted worker (same slot name) replaces its stale connection.
        try socket.setRouterHandover(true)
        try socket.setMaxMessageSize(Self.transportLimit(maxFrameBytes: settings.maxFrameBytes))
        // Per peer; beyond it sends fail (counted as undeliverable, or the slot is gone).
        try socket.setHighWaterMarks(send: sendHWM, receive: receiveHWM)
        return socket
    }

    /// libzmq disconnects a peer whose frame is above this, without a word. Up to it a frame is
    /// read and the decoder refuses one above `maxFrameBytes` with a -EMSGSIZE reply, so a client
    /// just past the bound learns why; far past it, the connection is dropped unread (memory).
    static func transportLimit(maxFrameBytes: Int) -> Int64 {
        Int64(min(maxFrameBytes, Int(Int32.max))) * 2 + (1 << 20)
    }

    deinit { stop() }
}
