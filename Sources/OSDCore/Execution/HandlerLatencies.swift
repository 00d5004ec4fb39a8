// Latency by handler, class method or plain op request on one slot, reported to the broker
// every heartbeat interval while it changes (`stats`) so `sepia status` can show where time goes.
import Codec

struct HandlerLatencies {
    /// The most recent samples per name, enough for a stable p99 at low cost.
    private static let window = 512

    private struct Entry {
        var count: UInt64 = 0
        var errors: UInt64 = 0
        var samples: [UInt32] = []  // microseconds, a ring
        var next = 0
    }

    private var entries: [String: Entry] = [:]
    private(set) var changed = false

    mutating func record(_ name: String, micros: UInt64, failed: Bool) {
        var e = entries[name] ?? Entry()
        e.count += 1
        if failed { e.errors += 1 }
        let sample = UInt32(clamping: micros)
        if e.samples.count < Self.window {
            e.samples.append(sample)
        } else {
            e.samples[e.next] = sample
            e.next = (e.next + 1) % Self.window
        }
        entries[name] = e
        changed = true
    }

    /// The report, and the change flag cleared.
    mutating func report() -> [HandlerStats] {
        changed = false
        return entries.map { name, e in
            let sorted = e.samples.sorted()
            func percentile(_ p: Double) -> UInt64 {
                sorted.isEmpty ? 0 : UInt64(sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))])
            }
            return HandlerStats(name: name, count: e.count, errors: e.errors, p50Micros: percentile(0.5), p99Micros: percentile(0.99))
        }
    }

    /// The name a request's latency is filed under: its first exec handler or class
    /// method, else "ops".
    static func label(of request: Request) -> String {
        for op in request.ops {
            switch op {
            case .exec(_, let handler, _): return "exec:" + handler
            case .call(let className, let method, _): return "call:" + className + "." + method
            default: continue
            }
        }
        return "ops"
    }
}
