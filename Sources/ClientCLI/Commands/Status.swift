// `sepia status`: what the broker knows about the cluster.
import ArgumentParser
import Client
import Codec
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
            let doc: BrokerStatus
            do {
                doc = try JSONDecoder().decode(BrokerStatus.self, from: Data(body))
            } catch {
                throw CLIError.failed("the broker's status document is not understood: \(error)")
            }
            print(StatusReport.render(doc))
        } catch {
            throw CommandFailure("status", error)
        }
    }
}

/// Renders the status document as text: a header and one table row per worker slot.
enum StatusReport {
    static func render(_ doc: BrokerStatus) -> String {
        var lines: [String] = []
        lines.append("broker   client \(doc.clientEndpoint)  worker \(doc.workerEndpoint)")
        lines.append("shards   \(doc.shardCount) (epoch \(doc.epoch), \(doc.unownedShards) without an owner, \(doc.queues.total) requests queued)")
        let rate = String(format: "%.1f", doc.requestsPerSecond)
        lines.append("traffic  \(rate) requests/s, \(doc.pending) in flight, \(doc.requests) received, \(doc.repliesForwarded) answered")
        lines.append("")
        var rows = [["WORKER", "PID", "HOST", "STATE", "SHARDS", "IN FLIGHT", "REPLIES", "P50 µs", "P99 µs"]]
        for w in doc.workers {
            rows.append([w.id, "\(w.pid)", w.host, w.state, "\(w.shards.count)", "\(w.inflight)", "\(w.replies)",
                         String(format: "%.0f", w.latencyMicros.p50), String(format: "%.0f", w.latencyMicros.p99)])
        }
        lines += Table.render(rows)
        if !doc.handlers.isEmpty {
            lines.append("")
            var table = [["HANDLER", "CALLS", "ERRORS", "P50 µs", "P99 µs"]]
            for h in doc.handlers {
                table.append([h.name, "\(h.count)", "\(h.errors)", "\(h.p50Micros)", "\(h.p99Micros)"])
            }
            lines += Table.render(table)
        }
        if !doc.errorsByKind.isEmpty {
            lines.append("")
            lines.append("errors   " + doc.errorsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
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
