// ZeroMQ's error convention (-1 and errno) becomes a typed error: `check` for calls that fail
// outright, and the send/receive/poll loops, which read errno through `lastErrno` to retry EINTR
// and to tell EAGAIN apart.
import CZeroMQ

/// A failed ZeroMQ call: the errno and zmq_strerror's text.
public struct ZMQError: Error, CustomStringConvertible, Sendable, Equatable {
    public let errno: Int32
    public let operation: String

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(errno)))"
    }

    /// The call would block (non-blocking send/receive).
    public var isAgain: Bool { errno == EAGAIN }
    /// The context is being terminated.
    public var isTerminated: Bool { errno == ETERM }
    /// The peer is unknown to a ROUTER with ZMQ_ROUTER_MANDATORY, or the route is down.
    public var isUnroutable: Bool { errno == EHOSTUNREACH }
}

/// Turns a ZeroMQ return value into a typed error.
@inline(__always)
@discardableResult
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(ZMQError) -> Int32 {
    if rc >= 0 { return rc }
    throw ZMQError(errno: sepia_zmq_errno(), operation: operation())
}

/// The errno of the last failed call, for retry loops (EINTR).
@inline(__always)
func lastErrno() -> Int32 { sepia_zmq_errno() }
