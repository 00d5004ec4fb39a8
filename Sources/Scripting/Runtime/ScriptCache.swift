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
}

/// A bounded LRU of compiled chunks keyed by SHA-256. Eviction scans for the oldest entry:
/// it happens only on a miss with a full cache, and a miss costs a compile anyway.
struct ScriptCache {
    private struct Entry { var ref: Int32; var lastUse: UInt64 }
    private var entries: [Bytes: Entry] = [:]
    private var clock: UInt64 = 0
    private(set) var stats = ScriptCacheStats()
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

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

    /// Adds a compiled chunk; returns the reference evicted to make room, if any.
    mutating func insert(_ sha: Bytes, ref: Int32) -> Int32? {
        clock += 1
        var evicted: Int32?
        if entries[sha] == nil, entries.count >= capacity,
           let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[oldest.key] = nil
            evicted = oldest.value.ref
            stats.evictions += 1
        }
        entries[sha] = Entry(ref: ref, lastUse: clock)
        stats.entries = entries.count
        return evicted
    }
}
