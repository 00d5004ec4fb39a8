// The client's one socket and the thread that owns it. Callers on any thread hand frames over
// through a locked queue and an eventfd; the I/O thread sends them, receives replies and
// completes the waiting callers, so many requests share one DEALER socket. The thread never
// blocks in a send: a DEALER with no completed connection (a broker that is down, or a CURVE
// handshake that never completes) would block zmq_send forever, so sends do not wait and a
// message libzmq cannot take yet stays queued here until its deadline.
import Codec
import Foundation
import Synchronization
import ZeroMQ


/// A reply or a time-out, handed to whoever waits for a request id.
typealias ReplyHandler = @Sendable (Result<Bytes, ClientError>) -> Void

final class Connection: @unchecked Sendable {
    // @unchecked Sendable: `socket` and `pending` are touched only by the I/O thread; the
    // outbox and its closed flag are guarded by `lock`; `wake` is an eventfd (thread-safe).

    private struct Outgoing {
        var id: UInt64
        var frames: [Bytes]
        var deadline: ContinuousClock.Instant
        var handler: ReplyHandler
    }

    private struct Waiting {
        var deadline: ContinuousClock.Instant
        var handler: ReplyHandler
    }

    private let socket: Socket
    private let wake: WakeupSignal
    private let lock = Mutex<(outbox: [Outgoing], closed: Bool)>(([], false))
    private var pending: [UInt64: Waiting] = [:]
    /// Taken from the outbox but not yet accepted by libzmq (no peer to send to yet).
    private var unsent: [Outgoing] = []
    private var adminWaiting: [Waiting] = []
    private var thread: Thread?
    private let maxFrameBytes: Int

    init(endpoint: String, curve: CurveClientKeys?, maxFrameBytes: Int) throws(ClientError) {
        self.maxFrameBytes = maxFrameBytes
        do {
            socket = try Socket(.dealer)
            try socket.setHighWaterMarks(send: 0, receive: 0)
            try socket.setReconnectInterval(100, max: 1000)
            if var curve {
                if curve.publicKey.isEmpty {
                    // No pair of its own: a fresh one, enough when the broker has no allow-list.
                    let pair = try Curve.keyPair()
                    (curve.publicKey, curve.secretKey) = (pair.publicKey, pair.secretKey)
                }
                try socket.makeCurveClient(serverKey: curve.serverPublicKey, publicKey: curve.publicKey,
                                           secretKey: curve.secretKey)
            }
            try socket.connect(endpoint)
        } catch {
            if error.errno == EINVAL {
                throw .connection("'\(endpoint)' is not a broker endpoint (expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:7700)")
            }
            throw .connection("cannot connect to \(endpoint): \(error)")
        }
        do { wake = try WakeupSignal() } catch { throw .connection("\(error)") }
        let t = Thread { [unowned self] in self.loop() }
        t.name = "sepia-client-io"
        thread = t
        t.start()
    }

    /// Queues a request body; `handler` runs on the I/O thread with the reply or a time-out.
    func submit(id: UInt64, body: Bytes, timeout: Duration, handler: @escaping ReplyHandler) {
        enqueue(Outgoing(id: id, frames: [Frames.delimiter, body], deadline: .now + timeout, handler: handler))
    }

    /// Queues an admin request (replies come back in order).
    func submitAdmin(body: Bytes, timeout: Duration, handler: @escaping ReplyHandler) {
        enqueue(Outgoing(id: 0, frames: [Frames.delimiter, Frames.admin, body], deadline: .now + timeout, handler: handler))
    }

    private func enqueue(_ item: Outgoing) {
        let accepted = lock.withLock { state -> Bool in
            if state.closed { return false }
            state.outbox.append(item)
            return true
        }
        guard accepted else {
            item.handler(.failure(.closed))
            return
        }
        wake.signal()
    }

    func close() {
        lock.withLock { $0.closed = true }
        wake.signal()
    }

    // MARK: - I/O thread

    private func loop() {
        var lastExpiry = ContinuousClock.now
        while true {
            let timeout = pending.isEmpty && adminWaiting.isEmpty && unsent.isEmpty ? 1000 : 10
            let ready: [Bool]
            do {
                ready = try Poller.poll([socket], fds: [wake.fd], timeoutMillis: timeout)
            } catch {
                break
            }
            if ready[1] { wake.drain() }
            let (outbox, closed) = lock.withLock { state in
                let items = state.outbox
                state.outbox.removeAll(keepingCapacity: true)
                return (items, state.closed)
            }
            if closed {
                failAll(unsent + outbox)
                break
            }
            // Earlier unsent messages go first, so requests leave in the order they came.
            let queued = unsent + outbox
            unsent.removeAll(keepingCapacity: true)
            for item in queued { send(item) }
            if ready[0] { receiveAll() }
            let now = ContinuousClock.now
            if now - lastExpiry >= .milliseconds(5) {
                lastExpiry = now
                expire(now: now)
            }
        }
        socket.close()
    }

    private func send(_ item: Outgoing) {
        // Once one message found no peer, later ones would not either, and must not overtake it.
        guard unsent.isEmpty else {
            unsent.append(item)
            return
        }
        do {
            try socket.send(item.frames, dontWait: true)
        } catch where error.isAgain {
            unsent.append(item)
            return
        } catch {
            item.handler(.failure(.connection("send failed: \(error)")))
            return
        }
        let waiting = Waiting(deadline: item.deadline, handler: item.handler)
        if item.frames.count == 3 {
            adminWaiting.append(waiting)
        } else {
            // A resend under the same id replaces the earlier waiter: one caller, one answer.
            pending[item.id] = waiting
        }
    }

    private func receiveAll() {
        while let frames = try? socket.receive(dontWait: true) {
            if frames.count == 3, frames[1] == Frames.admin {
                if !adminWaiting.isEmpty { adminWaiting.removeFirst().handler(.success(frames[2])) }
                continue
            }
            guard frames.count == 2, let body = frames.last,
                  let id = try? ReplyHeader.peek(body).id else { continue }
            // A duplicate or late reply (after a time-out) has no waiter and is dropped.
            if let waiting = pending.removeValue(forKey: id) {
                waiting.handler(.success(body))
            }
        }
    }

    private func expire(now: ContinuousClock.Instant) {
        // A message that never found a peer times out like one whose reply never came.
        let (expired, kept) = unsent.reduce(into: ([Outgoing](), [Outgoing]())) { parts, item in
            if item.deadline <= now { parts.0.append(item) } else { parts.1.append(item) }
        }
        unsent = kept
        for item in expired {
            item.handler(.failure(.timedOut(requestID: item.id, after: .zero, attempts: 1)))
        }
        for (id, waiting) in pending where waiting.deadline <= now {
            pending.removeValue(forKey: id)
            waiting.handler(.failure(.timedOut(requestID: id, after: .zero, attempts: 1)))
        }
        while let first = adminWaiting.first, first.deadline <= now {
            adminWaiting.removeFirst()
            first.handler(.failure(.timedOut(requestID: 0, after: .zero, attempts: 1)))
        }
    }

    private func failAll(_ outbox: [Outgoing]) {
        for item in outbox { item.handler(.failure(.closed)) }
        for (_, waiting) in pending { waiting.handler(.failure(.closed)) }
        pending.removeAll()
        for waiting in adminWaiting { waiting.handler(.failure(.closed)) }
        adminWaiting.removeAll()
    }
}

/// CURVE keys a client presents (Z85).
public struct CurveClientKeys: Sendable {
    public var serverPublicKey: String
    public var publicKey: String
    public var secretKey: String
    public init(serverPublicKey: String, publicKey: String, secretKey: String) {
        self.serverPublicKey = serverPublicKey
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}
