// Kill -9 in the middle of a stream of group commits: every acknowledged transaction must
// be there after reopening, and no transaction may be there in part.
import Codec
import Foundation
import Spawn
import Testing
@testable import Storage

@Suite struct CrashTests {
    /// Mirrors Sources/StorageTool/CrashWriter.swift: what transaction N writes.
    static func options() -> ShardOptions {
        var options = ShardOptions()
        options.chunkBytes = 1024
        return options
    }
    static func oid(_ n: UInt64) -> Bytes { b("crash-\(n)") }
    static func payload(_ n: UInt64) -> Bytes { (0..<3000).map { UInt8(truncatingIfNeeded: n &+ UInt64($0)) } }
    static func recordKey(_ n: UInt64) -> Bytes { ShardStore.recordKey(client: b("crash"), requestID: n) }

    @Test(.enabled(if: StorageToolBinary.url != nil, "sepia-storage-tool not built: run swift build --build-tests"),
          arguments: [40, 300])
    func killedWriterLosesNothingAcknowledged(killAfter: Int) throws {
        let dir = TempDir()
        let path = dir.sub("s")
        guard let tool = StorageToolBinary.url else { return }  // the trait already says why
        let process = try Child(tool.path, ["crash-writer", path], stdout: .pipe)
        // Watchdog: a hung writer is killed, which ends the read loop below with EOF.
        let watchdog = DispatchWorkItem { [pid = process.processIdentifier] in kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
        var acked: Set<UInt64> = []
        var text = ""
        var killed = false
        while true {
            let data = process.standardOutput!.availableData
            if data.isEmpty { break }  // EOF: the writer is gone
            text += String(decoding: data, as: UTF8.self)
            while let newline = text.firstIndex(of: "\n") {
                let line = text[..<newline]
                text = String(text[text.index(after: newline)...])
                if line.hasPrefix("ack "), let n = UInt64(line.dropFirst(4)) { acked.insert(n) }
            }
            if !killed && acked.count >= killAfter {
                kill(process.processIdentifier, SIGKILL)  // mid-stream; keep reading what it said
                killed = true
            }
        }
        process.waitUntilExit()
        watchdog.cancel()
        #expect(killed && process.terminationReason == .uncaughtSignal, "writer ended before the kill")

        let store = try ShardStore(path: path, options: Self.options())
        let highest = try #require(acked.max())
        #expect(acked == Set(0...highest))
        // Acknowledged ones, and possibly a few synced but not yet acknowledged, are whole.
        var n: UInt64 = 0
        while store.recorded(for: Self.recordKey(n))?.reply != nil || n <= highest {
            try Self.expectWhole(store, n)
            n += 1
        }
        // The first missing one left nothing behind at all.
        try Self.expectAbsent(store, n)
    }

    static func expectWhole(_ store: ShardStore, _ n: UInt64) throws {
        let tag = b(String(n))
        #expect(try store.look(oid(n), .read(offset: 0, length: 0)) == .data(payload(n)), "txn \(n)")
        #expect(try store.look(oid(n), .getXattr(name: b("seq"))) == .data(tag), "txn \(n)")
        #expect(try store.look(oid(n), .omapGetValsByKeys(keys: [b("seq")])) == .entries([KeyValue(b("seq"), tag)], more: false))
        #expect(store.recorded(for: recordKey(n))?.reply == tag, "txn \(n)")
    }

    static func expectAbsent(_ store: ShardStore, _ n: UInt64) throws {
        #expect(errnoOf { _ = try store.look(oid(n), .stat) } == .ENOENT, "txn \(n)")
        for tag: KeyLayout.Tag in [.chunk, .xattr, .omap] {
            let prefix = KeyLayout.prefix(tag, oid(n))
            let iterator = store.db.makeIterator()
            iterator.seek(prefix)
            #expect(!(iterator.isValid && iterator.key.starts(with: prefix)), "txn \(n) left \(tag) keys")
        }
    }
}
