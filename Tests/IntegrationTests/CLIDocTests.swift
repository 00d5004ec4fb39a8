// docs/cli.md and the CLI cannot drift: every command and every long flag that `sepia` accepts
// (read from the binary's own description of itself) is named in the page.
import Foundation
import Spawn
import Testing

@Suite(.timeLimit(.minutes(1)))
struct CLIDocTests {
    /// (command path, long flags) for every command and subcommand of the binary.
    static func commands() throws -> [(path: String, flags: [String])] {
        let data = try Child.run(ClusterHarness.binDir.appendingPathComponent("sepia").path, ["--experimental-dump-help"],
                                 killAfter: 30).stdout
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var found: [(String, [String])] = []
        func walk(_ command: [String: Any], _ path: [String]) {
            let arguments = command["arguments"] as? [[String: Any]] ?? []
            let flags = arguments.flatMap { ($0["names"] as? [[String: Any]] ?? []) }
                .filter { $0["kind"] as? String == "long" }
                .compactMap { $0["name"] as? String }
                .filter { !["help", "version"].contains($0) }
                .map { "--" + $0 }
            found.append((path.joined(separator: " "), flags))
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                walk(sub, path + [sub["commandName"] as? String ?? "?"])
            }
        }
        walk(try #require(root["command"] as? [String: Any]), ["sepia"])
        return found.filter { !$0.0.hasPrefix("sepia help") }
    }

    static func page() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/cli.md"), encoding: .utf8)
    }

    static let connectionFlags: Set<String> = ["--broker", "--config", "--timeout", "--retries"]

    /// The rows of the page's reference table, by command: "| `sepia get` | flags |".
    static func referenceRows(_ page: String) -> [String: String] {
        var rows: [String: String] = [:]
        for line in page.split(separator: "\n") where line.hasPrefix("| `sepia ") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
            guard cells.count >= 3 else { continue }
            let name = cells[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            rows[name] = String(cells[2])
        }
        return rows
    }

    @Test func everyCommandAndFlagIsDocumented() throws {
        let page = try Self.page()
        let rows = Self.referenceRows(try #require(page.components(separatedBy: "## Every command and flag").last))
        let commands = try Self.commands()
        #expect(commands.count > 20, "the binary described only \(commands.count) commands")
        for (path, flags) in commands {
            let leaf = !commands.contains { $0.path.hasPrefix(path + " ") }
            guard leaf, path != "sepia" else { continue }
            guard let row = rows[path] else {
                Issue.record("docs/cli.md has no row for `\(path)` in \"Every command and flag\"")
                continue
            }
            for flag in flags {
                let named = row.contains("`\(flag)`") || row.contains("`\(flag) ")
                    || (Self.connectionFlags.contains(flag) && row.contains("connection flags"))
                #expect(named, "docs/cli.md does not name \(flag) in the row of `\(path)`")
            }
            for cell in row.components(separatedBy: "`--").dropFirst() {
                let flag = "--" + cell.prefix { $0.isLetter || $0 == "-" }
                #expect(flags.contains(flag) || !row.contains("`\(flag)"), "docs/cli.md names \(flag) for `\(path)`, which it does not take")
            }
        }
        #expect(rows.count == commands.filter { c in !commands.contains { $0.path.hasPrefix(c.path + " ") } && c.path != "sepia" }.count,
                "the reference table has rows for commands that do not exist")
    }
}
