// The last N dispatch-to-reply latencies of one slot, for percentiles in the status. A ring of
// recent samples rather than a histogram: percentiles then describe "now", not since start.
import Codec

struct LatencyReservoir: Sendable {
    static let capacity = 2048
    private var samples: [UInt64] = []
    private var next = 0
    private(set) var total: UInt64 = 0

    mutating func record(_ nanos: UInt64) {
        total += 1
        if samples.count < Self.capacity {
            samples.append(nanos)
        } else {
            samples[next] = nanos
            next = (next + 1) % Self.capacity
        }
    }

    /// Nearest-rank percentiles over the retained samples, in microseconds.
    func summary() -> LatencySummary {
        guard !samples.isEmpty else { return LatencySummary() }
        let sorted = samples.sorted()
        func rank(_ p: Double) -> Double {
            let index = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
            return Double(sorted[index]) / 1000
        }
        return LatencySummary(samples: sorted.count, p50: rank(0.5), p90: rank(0.9), p99: rank(0.99),
                              max: Double(sorted.last!) / 1000)
    }
}
