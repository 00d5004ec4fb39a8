// What the broker knows about one live worker slot.
import Codec

struct SlotRecord: Sendable {
    var info: ReadyInfo
    /// Monotonic nanoseconds of the last message from it (any message counts as a heartbeat).
    var lastHeard: UInt64
    /// Tags dispatched to it and not yet answered: re-dispatched if it dies.
    var inflight: Set<UInt64> = []
    /// Requests for shards it serves, waiting for room in its window (`slotInflightMax`).
    var waiting = FairQueue()
}
