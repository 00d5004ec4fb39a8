// `sepia status`: what the broker knows about the cluster.
import ArgumentParser
import Client
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the broker's endpoints, workers, shards per worker, queues, rates, errors and latencies.",
        discussion: "Examples:\n  sepia status\n  sepia status --json")
    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        do {
            let client = try connection.makeClient()
            let body = try await client.status()
            if output.json {
                FileHandle.standardOutput.write(Data(body))
                FileHandle.standardOutput.write(Data("\n".utf8))
                return
            }
            guard let doc = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw CLIError.failed("the broker's status is not a JSON object")
            }
            print(StatusReport.render(doc))
        } catch {
            Failure.exit("status", error)
        }
    }
}

/// Renders the status document as text: a header and one table row per worker slot.
enum StatusReport {
    static func render(_ doc: [String: Any]) -> String {
        var lines: [String] = []
        func value(_ key: String) -> String { doc[key].map { "\($0)" } ?? "-" }
        let queues = doc["queues"] as? [String: Any]
        lines.append("broker   client \(value("clientEndpoint"))  worker \(value("workerEndpoint"))")
        lines.append("shards   \(value("shardCount")) (epoch \(value("epoch")), \(value("unownedShards")) without an owner, \(queues?["total"] ?? 0) requests queued)")
        let rate = (doc["requestsPerSecond"] as? Double).map { String(format: "%.1f", $0) } ?? "-"
        lines.append("traffic  \(rate) requests/s, \(value("pending")) in flight, \(value("requests")) received, \(value("repliesForwarded")) answered")
        let workers = (doc["workers"] as? [[String: Any]]) ?? []
        lines.append("")
        var rows = [["WORKER", "PID", "HOST", "STATE", "SHARDS", "IN FLIGHT", "REPLIES", "P50 µs", "P99 µs"]]
        for w in workers {
            func f(_ k: String) -> String { w[k].map { "\($0)" } ?? "-" }
            let latency = w["latencyMicros"] as? [String: Any]
            func micros(_ k: String) -> String { (latency?[k] as? Double).map { String(format: "%.0f", $0) } ?? "-" }
            rows.append([f("id"), f("pid"), f("host"), f("state"), "\((w["shards"] as? [Any])?.count ?? 0)",
                         f("inflight"), f("replies"), micros("p50"), micros("p99")])
        }
        lines += Table.render(rows)
        let handlers = (doc["handlers"] as? [[String: Any]]) ?? []
        if !handlers.isEmpty {
            lines.append("")
            var table = [["HANDLER", "CALLS", "ERRORS", "P50 µs", "P99 µs"]]
            for h in handlers {
                func f(_ k: String) -> String { h[k].map { "\($0)" } ?? "-" }
                table.append([f("name"), f("count"), f("errors"), f("p50Micros"), f("p99Micros")])
            }
            lines += Table.render(table)
        }
        if let errors = doc["errorsByKind"] as? [String: Any], !errors.isEmpty {
            lines.append("")
            lines.append("errors   " + errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

/// Plain text tables with aligned columns.
enum Table {
    static func render(_ rows: [[String]]) -> [String] {
        guard let first = rows.first else { return [] }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }
}
