// A ZeroMQ socket: multipart send/receive of byte frames, options, bind/connect, poll.
import CZeroMQ

/// The socket types Sepia uses.
public enum SocketType: Sendable {
    case router, dealer, rep

    var raw: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .rep: ZMQ_REP
        }
    }
}

/// Owns one ZeroMQ socket. A socket is used by one thread at a time (libzmq's rule).
///
/// `@unchecked Sendable`: a socket may be handed to the thread that will own it (created on
/// one thread, used on another), never used by two threads at once.
public final class Socket: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    /// Heap-allocated: zmq_msg_t stores small payloads inline and must not be copied by value.
    private let message: UnsafeMutablePointer<zmq_msg_t>
    public let type: SocketType
    private var closed = false

    public init(_ type: SocketType, context: Context = .shared) throws(ZMQError) {
        guard let h = zmq_socket(context.handle, type.raw) else {
            throw ZMQError(errno: lastErrno(), operation: "zmq_socket")
        }
        handle = h
        self.type = type
        message = .allocate(capacity: 1)
        // Linger 0: closing never blocks context termination on undelivered messages.
        try setOption(ZMQ_LINGER, Int32(0))
    }

    deinit {
        close()
        message.deallocate()
    }

    public func close() {
        if !closed {
            closed = true
            zmq_close(handle)
        }
    }

    // MARK: - Options

    public func setOption(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var v = value
        try check(zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size), "zmq_setsockopt(\(option))")
    }

    public func setOption(_ option: Int32, _ value: Int64) throws(ZMQError) {
        var v = value
        try check(zmq_setsockopt(handle, option, &v, MemoryLayout<Int64>.size), "zmq_setsockopt(\(option))")
    }

    public func setOption(_ option: Int32, bytes: Bytes) throws(ZMQError) {
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        try check(rc, "zmq_setsockopt(\(option))")
    }

    public func setOption(_ option: Int32, string: String) throws(ZMQError) {
        try setOption(option, bytes: Array(string.utf8))
    }

    public func getString(_ option: Int32) throws(ZMQError) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        try check(zmq_getsockopt(handle, option, &buffer, &size), "zmq_getsockopt(\(option))")
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The routing id a DEALER presents to a ROUTER.
    public func setRoutingID(_ id: Bytes) throws(ZMQError) { try setOption(ZMQ_ROUTING_ID, bytes: id) }
    /// A ROUTER fails with EHOSTUNREACH instead of silently dropping unroutable messages.
    public func setRouterMandatory(_ on: Bool) throws(ZMQError) { try setOption(ZMQ_ROUTER_MANDATORY, Int32(on ? 1 : 0)) }
    /// A ROUTER lets a new connection take over a routing id that is still bound to an old
    /// one (a worker restarted under the same slot name), instead of ignoring the newcomer.
    public func setRouterHandover(_ on: Bool) throws(ZMQError) { try setOption(ZMQ_ROUTER_HANDOVER, Int32(on ? 1 : 0)) }
    /// High-water marks (0 = unlimited).
    public func setHighWaterMarks(send: Int32, receive: Int32) throws(ZMQError) {
        try setOption(ZMQ_SNDHWM, send)
        try setOption(ZMQ_RCVHWM, receive)
    }
    /// Frames larger than this are dropped by libzmq with the connection (-1 = no limit).
    public func setMaxMessageSize(_ bytes: Int64) throws(ZMQError) { try setOption(ZMQ_MAXMSGSIZE, bytes) }
    /// Reconnect interval in ms.
    public func setReconnectInterval(_ ms: Int32, max: Int32 = 0) throws(ZMQError) {
        try setOption(ZMQ_RECONNECT_IVL, ms)
        try setOption(ZMQ_RECONNECT_IVL_MAX, max)
    }

    // MARK: - CURVE

    /// Makes this socket a CURVE server with the given secret key (Z85).
    public func makeCurveServer(secretKey: String, zapDomain: String = "sepia") throws(ZMQError) {
        try setOption(ZMQ_CURVE_SERVER, Int32(1))
        try setOption(ZMQ_CURVE_SECRETKEY, string: secretKey)
        try setOption(ZMQ_ZAP_DOMAIN, string: zapDomain)
    }

    /// Makes this socket a CURVE client of the server with `serverKey`.
    public func makeCurveClient(serverKey: String, publicKey: String, secretKey: String) throws(ZMQError) {
        try setOption(ZMQ_CURVE_SERVERKEY, string: serverKey)
        try setOption(ZMQ_CURVE_PUBLICKEY, string: publicKey)
        try setOption(ZMQ_CURVE_SECRETKEY, string: secretKey)
    }

    // MARK: - Endpoints

    /// Binds and returns the resolved endpoint (a `tcp://127.0.0.1:*` wildcard becomes the
    /// real port).
    @discardableResult
    public func bind(_ endpoint: String) throws(ZMQError) -> String {
        try check(zmq_bind(handle, endpoint), "bind \(endpoint)")
        return try getString(ZMQ_LAST_ENDPOINT)
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        try check(zmq_connect(handle, endpoint), "connect \(endpoint)")
    }

    // MARK: - Messages

    /// Sends one multipart message. With `dontWait`, throws an `isAgain` error instead of
    /// blocking when the high-water mark is reached.
    public func send(_ frames: [Bytes], dontWait: Bool = false) throws(ZMQError) {
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if i < frames.count - 1 { flags |= ZMQ_SNDMORE }
            try sendFrame(frame, flags: flags)
        }
    }

    /// Sends frames given as a head (e.g. a routing envelope) and a body without building a
    /// new array.
    public func send(_ head: Bytes, _ body: Bytes, dontWait: Bool = false) throws(ZMQError) {
        let base: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        try sendFrame(head, flags: base | ZMQ_SNDMORE)
        try sendFrame(body, flags: base)
    }

    public func send(_ a: Bytes, _ b: Bytes, _ c: Bytes, dontWait: Bool = false) throws(ZMQError) {
        let base: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        try sendFrame(a, flags: base | ZMQ_SNDMORE)
        try sendFrame(b, flags: base | ZMQ_SNDMORE)
        try sendFrame(c, flags: base)
    }

    /// Sends three frames, the last charged to `account` until libzmq frees it (see
    /// `ByteAccount`); the first two are small (an envelope) and not charged.
    public func send(_ a: Bytes, _ b: Bytes, _ c: Bytes, chargedTo account: ByteAccount, dontWait: Bool = false) throws(ZMQError) {
        let base: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        try sendFrame(a, flags: base | ZMQ_SNDMORE)
        try sendFrame(b, flags: base | ZMQ_SNDMORE)
        let rc = c.withUnsafeBytes { sepia_msg_init_accounted(message, $0.baseAddress, $0.count, account.raw) }
        if rc != 0 { throw ZMQError(errno: lastErrno(), operation: "zmq_msg_init_data") }
        while true {
            if zmq_msg_send(message, handle, base) >= 0 { return }
            let e = lastErrno()
            if e == EINTR { continue }
            // Not sent: the message is still ours; closing it releases the charge.
            zmq_msg_close(message)
            throw ZMQError(errno: e, operation: "zmq_msg_send")
        }
    }

    @inline(__always)
    private func sendFrame(_ frame: Bytes, flags: Int32) throws(ZMQError) {
        while true {
            let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if rc >= 0 { return }
            let e = lastErrno()
            if e == EINTR { continue }
            throw ZMQError(errno: e, operation: "zmq_send")
        }
    }

    /// Receives one multipart message. Returns nil with `dontWait` when none is waiting.
    public func receive(dontWait: Bool = false) throws(ZMQError) -> [Bytes]? {
        var frames: [Bytes] = []
        frames.reserveCapacity(4)
        var more = true
        while more {
            // Once the first frame arrived the rest of the message is already here.
            let flags: Int32 = (dontWait && frames.isEmpty) ? ZMQ_DONTWAIT : 0
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            var rc: Int32
            repeat {
                rc = zmq_msg_recv(message, handle, flags)
            } while rc < 0 && lastErrno() == EINTR
            if rc < 0 {
                let e = lastErrno()
                if e == EAGAIN && frames.isEmpty { return nil }
                throw ZMQError(errno: e, operation: "zmq_msg_recv")
            }
            let size = zmq_msg_size(message)
            if size == 0 {
                frames.append([])
            } else {
                let data = zmq_msg_data(message)!.assumingMemoryBound(to: UInt8.self)
                frames.append(Bytes(UnsafeBufferPointer(start: data, count: size)))
            }
            more = zmq_msg_more(message) != 0
        }
        return frames
    }

    /// Waits until this socket has a message or `timeoutMillis` passes (-1: forever).
    public func waitReadable(timeoutMillis: Int) throws(ZMQError) -> Bool {
        try Poller.poll([self], timeoutMillis: timeoutMillis)[0]
    }
}

public typealias Bytes = [UInt8]

/// zmq_poll over sockets for readability.
public enum Poller {
    /// Returns, per socket, whether it has a message. `timeoutMillis` -1 waits forever.
    public static func poll(_ sockets: [Socket], timeoutMillis: Int) throws(ZMQError) -> [Bool] {
        try poll(sockets, fds: [], timeoutMillis: timeoutMillis)
    }

    /// Polls sockets and plain file descriptors (e.g. an eventfd used to wake a socket's
    /// owner thread) for readability, in that order.
    public static func poll(_ sockets: [Socket], fds: [Int32], timeoutMillis: Int) throws(ZMQError) -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        items += fds.map { zmq_pollitem_t(socket: nil, fd: $0, events: Int16(ZMQ_POLLIN), revents: 0) }
        var rc: Int32
        repeat {
            rc = zmq_poll(&items, Int32(items.count), timeoutMillis)
        } while rc < 0 && lastErrno() == EINTR
        try check(rc, "zmq_poll")
        return items.map { ($0.revents & Int16(ZMQ_POLLIN)) != 0 }
    }
}
