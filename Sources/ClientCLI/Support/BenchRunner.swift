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
        return Double(counter.value) / (ContinuousClock.now - started).inSeconds
    }
}

final class Counter: @unchecked Sendable {
    // @unchecked Sendable: guarded by the lock.
    private let lock = NSLock()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}

enum Median {
    static func of(_ values: [Double]) -> Double {
        let v = values.filter { !$0.isNaN }.sorted()
        guard !v.isEmpty else { return .nan }
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }
}

/// Collects bench results; prints tables as they come, or one JSON document at the end.
/// Every figure is the median over rounds; a ratio is the median of the per-round ratios of
/// figures measured side by side, which cancels most of a noisy machine's drift.
struct BenchReport {
    let json: Bool
    private var doc: [String: Any] = [:]

    init(json: Bool, rounds: Int, seconds: Double) {
        self.json = json
        doc["date"] = ISO8601DateFormatter().string(from: Date())
        doc["cores"] = ProcessInfo.processInfo.activeProcessorCount
        doc["rounds"] = rounds
        doc["seconds_per_measurement"] = seconds
    }

    private static func ratios(_ a: [Double], _ b: [Double]) -> Double {
        Median.of(zip(a, b).map { $1 / $0 })
    }

    private static func f(_ v: Double, _ digits: Int = 0) -> String {
        v.isNaN ? "-" : String(format: "%.\(digits)f", v)
    }

    /// Sequential latency of each kind; the first is the baseline of the ratio column.
    mutating func latency(names: [String], _ results: [[LatencyResult]], requests: Int) {
        var table = [["latency, µs", "p50", "p99", "p99.9"] + (names.count > 1 ? ["p50 / \(names[0])"] : [])]
        var entries: [String: Any] = [:]
        let base = results[0].map(\.p50)
        for (name, rs) in zip(names, results) {
            let p50 = Median.of(rs.map(\.p50)), p99 = Median.of(rs.map(\.p99)), p999 = Median.of(rs.map(\.p999))
            var entry: [String: Any] = ["p50_us": p50, "p99_us": p99, "p999_us": p999, "p50_us_rounds": rs.map(\.p50)]
            var row = [name, Self.f(p50, 1), Self.f(p99, 1), Self.f(p999, 1)]
            if names.count > 1 {
                let ratio = Self.ratios(base, rs.map(\.p50))
                if name != names[0] { entry["p50_ratio_to_\(names[0])"] = ratio }
                row.append(name == names[0] ? "" : Self.f(ratio, 2) + "×")
            }
            entries[name] = entry
            table.append(row)
        }
        doc["latency"] = entries.merging(["requests_per_round": requests]) { a, _ in a }
        emit("sequential round trips, \(requests) per round", table)
    }

    /// Rates per window of one or two kinds; with two, the second over the first.
    mutating func throughput(windows: [Int], names: [String], _ rates: [[[Double]]], key: String) {
        var header = ["window"] + names
        if names.count == 2 { header.append("ratio") }
        var table = [header]
        var rows: [[String: Any]] = []
        for (i, w) in windows.enumerated() {
            var row = ["\(w)"]
            var entry: [String: Any] = ["window": w]
            for (k, name) in names.enumerated() {
                let m = Median.of(rates[k][i])
                row.append(Self.f(m))
                entry[Self.jsonKey(name)] = m
                entry[Self.jsonKey(name) + "_rounds"] = rates[k][i]
            }
            if names.count == 2 {
                let ratio = Self.ratios(rates[0][i], rates[1][i])
                row.append(Self.f(ratio, 2))
                entry["ratio"] = ratio
            }
            table.append(row)
            rows.append(entry)
        }
        doc[key] = rows
        emit(names.count == 2 ? "throughput (ratio: \(names[1]) / \(names[0]))" : "throughput", table)
    }

    mutating func thumbs(_ rates: [Double], latenciesMillis: [Double], images: Int, spec: String, window: Int) {
        let p = Percentiles.of(latenciesMillis, [50, 99])
        let rate = Median.of(rates)
        doc["thumbs"] = ["spec": spec, "images_per_round": images, "window": window, "images_per_second": rate,
                         "images_per_second_rounds": rates, "p50_ms": p[0], "p99_ms": p[1]] as [String: Any]
        emit("thumbnails \(spec), \(images) images per round, window \(window)",
             [["images/s", "p50 ms", "p99 ms"], [Self.f(rate, 1), Self.f(p[0], 1), Self.f(p[1], 1)]])
    }

    mutating func scale(_ results: [(workers: Int, rates: [Double])], scenario: String) {
        let base = Median.of(results.first?.rates ?? [])
        var table = [["workers", "\(scenario)/s", "speedup", "efficiency"]]
        var rows: [[String: Any]] = []
        for (n, rates) in results {
            let r = Median.of(rates)
            rows.append(["workers": n, "per_second": r, "per_second_rounds": rates, "speedup": r / base, "efficiency": r / base / Double(n)])
            table.append(["\(n)", Self.f(r, 1), Self.f(r / base, 2) + "×", Self.f(100 * r / base / Double(n)) + "%"])
        }
        doc["scale"] = ["scenario": scenario, "threads_per_worker": 1, "rows": rows] as [String: Any]
        emit("scaling \(scenario), one thread per worker", table)
    }

    private static func jsonKey(_ name: String) -> String {
        name.replacingOccurrences(of: " ops/s", with: "_ops_per_second").replacingOccurrences(of: " tx/s", with: "_tx_per_second")
    }

    private func emit(_ title: String, _ table: [[String]]) {
        guard !json else { return }
        print("\n\(title) — medians of \(doc["rounds"] ?? 1) rounds")
        for line in Table.render(table) { print("  " + line) }
    }

    func finish() {
        if json { JSONOutput.print(doc) }
    }
}
