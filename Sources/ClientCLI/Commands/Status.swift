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
        lines.append("flow     \(bytes(doc.unreadReplyBytes)) of replies unread (bound \(bytes(doc.bounds.clientReplyBytesMax)) per client, "
            + "\(bytes(doc.bounds.replyBytesMax)) in all), \(doc.replyBudgetRefused) requests refused for unread replies, "
            + "\(doc.queueRefused) for full queues")
        lines.append("")
        var rows = [["WORKER", "PID", "HOST", "STATE", "SHARDS", "IN FLIGHT", "QUEUED", "REPLIES", "P50 µs", "P99 µs"]]
        for w in doc.workers {
            rows.append([w.id, "\(w.pid)", w.host, w.state, "\(w.shards.count)", "\(w.inflight)", "\(w.queued)", "\(w.replies)",
                         String(format: "%.0f", w.latencyMicros.p50), String(format: "%.0f", w.latencyMicros.p99)])
        }
        lines += Table.render(rows)
        if !doc.clients.isEmpty {
            lines.append("")
            var table = [["CLIENT", "IN FLIGHT", "QUEUED", "UNREAD REPLIES"]]
            for c in doc.clients { table.append([c.id, "\(c.inflight)", "\(c.queued)", bytes(c.unreadReplyBytes)]) }
            lines += Table.render(table)
            if doc.clientCount > doc.clients.count {
                lines.append("(\(doc.clientCount - doc.clients.count) more clients)")
            }
        }
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

    /// Bytes in binary units, e.g. "128.0 MiB".
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n), unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
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
