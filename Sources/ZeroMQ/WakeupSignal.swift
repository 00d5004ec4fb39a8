// Wakes the thread that owns a socket while it waits in zmq_poll: other threads may not touch
// the socket, so they signal this fd, which the owner polls beside it.
import CZeroMQ

public final class WakeupSignal: @unchecked Sendable {
    // @unchecked Sendable: an eventfd may be written and read from any thread.
    public let fd: Int32

    public init() throws(ZMQError) {
        fd = sepia_eventfd()
        guard fd >= 0 else { throw ZMQError(errno: lastErrno(), operation: "eventfd") }
    }

    deinit { close(fd) }

    public func signal() { sepia_eventfd_signal(fd) }
    public func drain() { sepia_eventfd_drain(fd) }
}
