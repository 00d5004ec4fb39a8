// The measuring loops of `sepia bench`: sequential latency and windowed throughput.
import Client
import Codec
import Foundation

struct LatencyResult {
    var p50: Double
    var p99: Double
    var p999: Double
    var count: Int
}

struct BenchRunner {
    enum Kind {
        case echo
        case noop
        case write(Durability)
    }

    let client: SepiaClient
    let seconds: Double

    static let noopScript = Bytes("""
    function noop(input, output) end
    cls.register(noop)
    """.utf8)

    private static let payload = Bytes(repeating: 0x61, count: 100)

    func ops(_ kind: Kind, n: Int) -> (oid: Bytes, ops: [Op], options: RequestOptions) {
        switch kind {
        case .echo:
            return (Array("bench-\(n % 1024)".utf8), [], RequestOptions(echo: true))
        case .noop:
            return (Array("bench-\(n % 1024)".utf8), [.exec(script: .source(Self.noopScript), handler: "noop", input: [])], RequestOptions())
        case .write(let d):
            return (Array("bench-w-\(n)".utf8),
                    [.write(offset: 0, data: Self.payload), .omapSet(entries: [KeyValue(Array("k".utf8), Array("v\(n)".utf8))])],
                    RequestOptions(durability: d))
        }
    }

    private func one(_ kind: Kind, n: Int) async throws {
        let (oid, ops, options) = ops(kind, n: n)
        let reply = try await client.send(oid: oid, ops: ops, options: options)
        if reply.rc < 0 { throw ClientError.failed(reply) }
    }

    /// One request at a time; percentiles of the round trip (after a short warm-up).
    func latency(requests: Int, kind: Kind) async throws -> LatencyResult {
        for i in 0..<min(200, requests) { try await one(kind, n: i) }
        var samples: [Double] = []
        samples.reserveCapacity(requests)
        for i in 0..<requests {
            let t = ContinuousClock.now
            try await one(kind, n: i)
            samples.append((ContinuousClock.now - t).millis * 1000)
        }
        let p = Percentiles.of(samples, [50, 99, 99.9])
        return LatencyResult(p50: p[0], p99: p[1], p999: p[2], count: requests)
    }

    /// Completed requests per second with `window` in flight for `seconds`.
    func throughput(window: Int, kind: Kind) async throws -> Double {
        let counter = Counter()
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<window {
                group.addTask {
                    var n = lane
                    while ContinuousClock.now < deadline {
                        try await one(kind, n: n)
                        counter.add()
                        n += window
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(counter.value) / (ContinuousClock.now - started).seconds
    }
}

final class Counter: @unchecked Sendable {
    // @unchecked Sendable: guarded by the lock.
    private let lock = NSLock()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}

/// Collects bench results; prints tables as they come, or one JSON document at the end.
struct BenchReport {
    let json: Bool
    private var doc: [String: Any] = [:]

    init(json: Bool) {
        self.json = json
        doc["date"] = ISO8601DateFormatter().string(from: Date())
        doc["cores"] = ProcessInfo.processInfo.activeProcessorCount
    }

    mutating func latencyRow(_ name: String, _ r: LatencyResult, baseline: LatencyResult?) {
        var entry: [String: Any] = ["p50_us": r.p50, "p99_us": r.p99, "p999_us": r.p999, "requests": r.count]
        if let b = baseline { entry["p50_ratio_to_echo"] = r.p50 / b.p50 }
        doc["latency_\(name)"] = entry
        guard !json else { return }
        var line = String(format: "%-6@ sequential latency  p50 %7.1f µs  p99 %7.1f µs  p99.9 %7.1f µs", name as NSString, r.p50, r.p99, r.p999)
        if let b = baseline { line += String(format: "   p50 = %.2f× echo", r.p50 / b.p50) }
        print(line)
    }

    mutating func throughputTable(_ rows: [(Int, Double, Double)], names: (String, String)) {
        doc["throughput"] = rows.map { ["window": $0.0, names.0: $0.1, names.1: $0.2.isNaN ? NSNull() : $0.2] as [String: Any] }
        guard !json else { return }
        var table = [["window", names.0]]
        let hasSecond = !names.1.isEmpty
        if hasSecond { table[0] += [names.1, "ratio"] }
        for (w, a, b) in rows {
            var row = ["\(w)", String(format: "%.0f", a)]
            if hasSecond { row += [String(format: "%.0f", b), String(format: "%.2f", b / a)] }
            table.append(row)
        }
        print("")
        for line in Table.render(table) { print(line) }
    }

    mutating func thumbs(_ s: BatchSummary, elapsed: Duration, spec: String) {
        let rate = Double(s.done + s.already) / elapsed.seconds
        let p = Percentiles.of(s.latenciesMillis, [50, 99])
        doc["thumbs"] = ["spec": spec, "images": s.done + s.already, "failed": s.failed, "images_per_second": rate,
                         "p50_ms": p[0], "p99_ms": p[1]]
        guard !json else { return }
        print(String(format: "thumbs %@: %d images, %d failed, %.1f images/s, p50 %.1f ms, p99 %.1f ms",
                     spec, s.done + s.already, s.failed, rate, p[0], p[1]))
    }

    mutating func scale(_ results: [(Int, Double)], scenario: String) {
        let base = results.first?.1 ?? 1
        doc["scale"] = ["scenario": scenario,
                        "rows": results.map { ["workers": $0.0, "per_second": $0.1, "speedup": $0.1 / base, "efficiency": $0.1 / base / Double($0.0)] }]
        guard !json else { return }
        var table = [["workers", "\(scenario)/s", "speedup", "efficiency"]]
        for (n, r) in results {
            table.append(["\(n)", String(format: "%.1f", r), String(format: "%.2f×", r / base), String(format: "%.0f%%", 100 * r / base / Double(n))])
        }
        for line in Table.render(table) { print(line) }
    }

    func finish() {
        if json { JSONOutput.print(doc) }
    }
}
