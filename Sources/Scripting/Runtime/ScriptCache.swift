// Compiled chunks stay inside the VM (registry references); this LRU only maps a source's
// SHA-256 to its reference and counts what happened.
import CLuaJIT
import Codec
import Crypto

/// Counters of the compiled-script cache.
public struct ScriptCacheStats: Sendable, Equatable {
    public var hits: UInt64 = 0
    public var misses: UInt64 = 0
    public var evictions: UInt64 = 0
    public var entries: Int = 0
    /// VM bytes the cached chunks cost when they were compiled.
    public var bytes: Int = 0
}

/// An LRU of compiled chunks keyed by SHA-256, bounded by entries and by the VM bytes the
/// chunks cost (a 1 MB source compiles to about 11 MB). Eviction scans for the oldest entry:
/// it happens only on a miss with a full cache, and a miss costs a compile anyway.
struct ScriptCache {
    private struct Entry { var ref: Int32; var lastUse: UInt64; var bytes: Int }
    private var entries: [Bytes: Entry] = [:]
    private var clock: UInt64 = 0
    private(set) var stats = ScriptCacheStats()
    let capacity: Int
    let capacityBytes: Int

    init(capacity: Int, capacityBytes: Int = .max) {
        self.capacity = max(1, capacity)
        self.capacityBytes = capacityBytes
    }

    static func sha256(_ source: Bytes) -> Bytes { Bytes(SHA256.hash(data: source)) }

    /// The chunk's registry reference, counting a hit or a miss.
    mutating func lookup(_ sha: Bytes) -> Int32? {
        clock += 1
        guard var e = entries[sha] else {
            stats.misses += 1
            return nil
        }
        stats.hits += 1
        e.lastUse = clock
        entries[sha] = e
        return e.ref
    }

    /// Adds a compiled chunk that cost `bytes`; returns the references evicted to make room.
    /// The newest chunk always stays, even alone over the byte bound (it is about to run).
    mutating func insert(_ sha: Bytes, ref: Int32, bytes: Int = 0) -> [Int32] {
        clock += 1
        var evicted: [Int32] = []
        guard entries[sha] == nil else { return evicted }
        while !entries.isEmpty, entries.count >= capacity || stats.bytes + bytes > capacityBytes,
              let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[oldest.key] = nil
            stats.bytes -= oldest.value.bytes
            evicted.append(oldest.value.ref)
            stats.evictions += 1
        }
        entries[sha] = Entry(ref: ref, lastUse: clock, bytes: bytes)
        stats.bytes += bytes
        stats.entries = entries.count
        return evicted
    }
}
