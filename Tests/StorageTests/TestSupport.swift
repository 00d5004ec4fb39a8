// Shared helpers for StorageTests: a private temp dir per test and short byte literals.
import Codec
import Foundation
@testable import Storage

/// A fresh directory removed when the value goes away. LevelDB directories can be opened
/// once at a time and tests run in parallel, so every test opens stores only in its own.
final class TempDir {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "sepia-storage-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
        }
        guard let made else { fatalError("mkdtemp failed: \(errno)") }
        path = made
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the directory (not created).
    func sub(_ name: String) -> String { path + "/" + name }
}

/// The UTF-8 bytes of a string literal.
func b(_ string: String) -> Bytes { Bytes(utf8: string) }

extension ShardStore {
    /// Runs `ops` as one transaction and commits it with sync; returns the results.
    @discardableResult
    func run(_ oid: Bytes, _ ops: [Op], record: ReplyRecord? = nil) throws(SepiaError) -> [OpResult] {
        let txn = try transaction(oid: oid)
        var results: [OpResult] = []
        for op in ops { results.append(try txn.apply(op)) }
        try commit(txn, record: record, durability: .sync)
        return results
    }

    /// One read op outside any write, for checks.
    func look(_ oid: Bytes, _ op: Op) throws(SepiaError) -> OpResult {
        try transaction(oid: oid, readOnly: true).apply(op)
    }
}

/// The Sepia error a throwing call failed with (nil if it succeeded). Closures infer an
/// untyped `throws`, so this takes one and casts.
func errorOf(_ body: () throws -> Void) -> SepiaError? {
    do {
        try body()
        return nil
    } catch let error as SepiaError {
        return error
    } catch {
        return SepiaError(.ECANCELED, .bug, "not a SepiaError: \(error)")
    }
}

/// The errno a throwing call failed with (nil if it succeeded).
func errnoOf(_ body: () throws -> Void) -> Errno? {
    errorOf(body).flatMap { Errno(code: $0.rc) }
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
