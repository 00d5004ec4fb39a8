// A request the broker has accepted and not yet answered, queued or at a worker.
import Codec

struct PendingRequest: Sendable {
    /// The client's ZeroMQ routing id: where the reply goes.
    var client: Bytes
    var requestID: UInt64
    /// For messages that name the request (a poison refusal).
    var oid: Bytes
    var shard: Int
    /// Kept so the request can be dispatched again if its slot dies.
    var body: Bytes
    /// Arrival order, kept across re-dispatch (tags change, this does not).
    var sequence: UInt64
    /// Monotonic nanoseconds after which it must not be dispatched; nil: none.
    var deadline: UInt64?
    /// The slot it was dispatched to; nil while queued.
    var slot: SlotID?
    var dispatchedAt: UInt64 = 0
    /// The distinct slots that died or left while it was dispatched to them. Only distinct
    /// slots count towards poison: one misbehaving slot that loses it twice says nothing
    /// about the request (a restarted worker process is a new slot, so a crash loop counts).
    var lostOn: Set<SlotID> = []
    var lostWorkers: Int { lostOn.count }
}
