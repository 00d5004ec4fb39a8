// What the routing state machine asks its I/O loop to do. The loop performs them in order.
import Codec

public enum RoutingAction: Sendable, Equatable {
    /// Send ["D"][tag][body] to the slot. `client` is whose request it is: the loop may
    /// refuse it instead (`dispatchRefused`) when that client's unread replies are over budget.
    case dispatch(tag: UInt64, slot: SlotID, client: Bytes, body: Bytes)
    /// Answer the client with a reply carrying only this error.
    case replyError(client: Bytes, requestID: UInt64, error: SepiaError)
    /// Forward a worker's reply body, unchanged, to the client. `slot` and `latencyNanos`
    /// (dispatch to reply) are for metrics.
    case forwardReply(client: Bytes, requestID: UInt64, body: Bytes, slot: SlotID, latencyNanos: UInt64)
    /// Send ["C"][control] to the slot.
    case sendControl(slot: SlotID, Control)
    /// Something worth a log line.
    case log(RoutingLogLevel, String)
}

/// Log levels the state machine uses; the loop maps them to its logger.
public enum RoutingLogLevel: Sendable, Equatable {
    case debug, info, warning
}
