// Counters the loop keeps while performing actions; read by the status document.
import Codec
import Routing

struct BrokerMetrics: Sendable {
    var requests: UInt64 = 0
    var forwarded: UInt64 = 0
    var errorsByKind: [ErrorKind: UInt64] = [:]
    /// Client frames that were not a request or an admin call.
    var malformedFrames: UInt64 = 0
    /// Replies whose client was gone (ZMQ_ROUTER_MANDATORY said unroutable) or not keeping up.
    var undeliverable: UInt64 = 0
    var latency: [SlotID: LatencyReservoir] = [:]
    /// What each slot last reported of its handlers (`stats` control messages).
    var handlers: [SlotID: [HandlerStats]] = [:]
    private(set) var requestsPerSecond: Double = 0
    private var rateWindowStart: UInt64 = 0
    private var rateWindowRequests: UInt64 = 0

    mutating func recordReply(from slot: SlotID, latencyNanos: UInt64) {
        forwarded += 1
        latency[slot, default: LatencyReservoir()].record(latencyNanos)
    }

    mutating func recordError(_ kind: ErrorKind) { errorsByKind[kind, default: 0] += 1 }

    /// True once a second: time to roll.
    func rateWindowElapsed(now: UInt64) -> Bool { now - min(now, rateWindowStart) >= 1_000_000_000 }

    /// Updates requests/s; forgets latencies of slots that are gone.
    mutating func roll(now: UInt64, liveSlots: Set<SlotID>) {
        let elapsed = now - min(now, rateWindowStart)
        requestsPerSecond = Double(requests - rateWindowRequests) * 1e9 / Double(elapsed)
        rateWindowStart = now
        rateWindowRequests = requests
        latency = latency.filter { liveSlots.contains($0.key) }
        handlers = handlers.filter { liveSlots.contains($0.key) }
    }
}
