// Committed transactions per second for "write 100 bytes + set one omap key", with sync and
// without, one request per round and 64 per round (group commit: 64 stages, one sync).
import Codec
import Foundation
import Storage

struct CommitBench {
    let directory: String?
    let secondsPerCase: Double

    func run() throws(SepiaError) {
        // Without a directory the benchmark works in a scratch folder it removes afterwards;
        // a given directory is never deleted.
        let given = directory.flatMap { $0.isEmpty ? nil : $0 }
        let scratch = given == nil
        let root = given ?? NSTemporaryDirectory() + "sepia-bench-\(getpid())"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { if scratch { try? FileManager.default.removeItem(atPath: root) } }
        func row(_ cells: [String]) -> String {
            cells.map { $0.padding(toLength: 11, withPad: " ", startingAt: 0) }.joined()
        }
        print(row(["durability", "in-flight", "txns", "syncs", "seconds", "txn/s"]))
        for durability in [Durability.sync, .none] {
            for inFlight in [1, 64] {
                let path = "\(root)/\(durability.rawValue)-\(inFlight)"
                let store = try ShardStore(path: path)
                let result = try measure(store: store, durability: durability, inFlight: inFlight)
                let rate = Double(result.txns) / result.seconds
                print(row([durability.rawValue, "\(inFlight)", "\(result.txns)", "\(result.syncs)",
                           String(format: "%.2f", result.seconds), String(format: "%.0f", rate)]))
            }
        }
    }

    private func measure(store: ShardStore, durability: Durability,
                         inFlight: Int) throws(SepiaError) -> (txns: Int, syncs: Int, seconds: Double) {
        let payload = Bytes(repeating: 0xAB, count: 100)
        let start = Date()
        var txns = 0
        var request: UInt64 = 0
        while Date().timeIntervalSince(start) < secondsPerCase {
            for _ in 0..<inFlight {
                let txn = try store.transaction(oid: Bytes(utf8: "bench-\(request % 1024)"))
                _ = try txn.apply(.write(offset: 0, data: payload))
                _ = try txn.apply(.omapSet(entries: [KeyValue(Bytes(utf8: "k\(request)"), payload)]))
                let key = ShardStore.recordKey(client: Bytes(utf8: "bench"), requestID: request)
                try store.stage(txn, record: ReplyRecord(key: key, reply: [0]))
                request += 1
                txns += 1
            }
            if durability == .sync { try store.sync() }
        }
        return (txns, store.syncCount, Date().timeIntervalSince(start))
    }
}
