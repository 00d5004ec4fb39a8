// The writer side of the crash test (Tests/StorageTests/CrashTests.swift): commits numbered
// transactions in small groups and acknowledges each on stdout only after its sync, so the
// test can SIGKILL it at any moment and then check what the store kept.
import Codec
import Foundation
import Storage

struct CrashWriter {
    let path: String

    /// What transaction `sequence` writes. Object `crash-N` gets a multi-chunk payload,
    /// an xattr, an omap key and an exactly-once record, so a partial commit is detectable.
    static func options() -> ShardOptions {
        var options = ShardOptions()
        options.chunkBytes = 1024
        return options
    }

    static func oid(_ sequence: UInt64) -> Bytes { Bytes(utf8: "crash-\(sequence)") }
    static func payload(_ sequence: UInt64) -> Bytes { (0..<3000).map { UInt8(truncatingIfNeeded: sequence &+ UInt64($0)) } }
    static func recordKey(_ sequence: UInt64) -> Bytes { ShardStore.recordKey(client: Bytes(utf8: "crash"), requestID: sequence) }

    private func emit(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    func run(count: UInt64) throws(SepiaError) {
        let store = try ShardStore(path: path, options: Self.options())
        emit("ready\n")
        var sequence: UInt64 = 0
        let group: UInt64 = 4  // a few transactions per sync: the group commit path
        while sequence < count {
            let round = sequence..<min(count, sequence + group)
            for n in round {
                let tag = Bytes(utf8: String(n))
                let txn = try store.transaction(oid: Self.oid(n))
                _ = try txn.apply(.write(offset: 0, data: Self.payload(n)))
                _ = try txn.apply(.setXattr(name: Bytes(utf8: "seq"), value: tag))
                _ = try txn.apply(.omapSet(entries: [KeyValue(Bytes(utf8: "seq"), tag)]))
                try store.stage(txn, record: ReplyRecord(key: Self.recordKey(n), reply: tag))
            }
            try store.sync()
            // One unbuffered write per round: an ack is out as soon as its sync returned.
            emit(round.map { "ack \($0)\n" }.joined())
            sequence = round.upperBound
        }
    }
}
