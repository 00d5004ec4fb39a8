// Script sources by SHA-256, shared by every runtime of the process. Compiled chunks cannot be
// shared (each worker thread has its own lua_State), but the source can: a thread that has
// never seen a script recompiles it from here instead of answering -ENOEXEC, so exec by sha
// works on any thread of a worker once one thread has had the source.
import Codec
import Synchronization

/// A thread-safe LRU of script sources, bounded by their total bytes.
public final class SharedSourceCache: Sendable {
    private struct State {
        var sources: [Bytes: (source: Bytes, lastUse: UInt64)] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }
    private let state = Mutex(State())
    public let capacityBytes: Int

    public init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    /// The process's cache, used by every `LuaRuntime`.
    public static let process = SharedSourceCache(capacityBytes: 64 << 20)

    /// Keeps `source` under `sha`, evicting the oldest sources past the byte bound. A source
    /// larger than the whole bound is not kept.
    public func insert(_ sha: Bytes, source: Bytes) {
        guard source.count <= capacityBytes else { return }
        state.withLock { s in
            s.clock += 1
            if s.sources[sha] != nil { s.sources[sha]!.lastUse = s.clock; return }
            while s.bytes + source.count > capacityBytes,
                  let oldest = s.sources.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                s.sources[oldest.key] = nil
                s.bytes -= oldest.value.source.count
            }
            s.sources[sha] = (source, s.clock)
            s.bytes += source.count
        }
    }

    public func lookup(_ sha: Bytes) -> Bytes? {
        state.withLock { s in
            s.clock += 1
            guard let hit = s.sources[sha] else { return nil }
            s.sources[sha]!.lastUse = s.clock
            return hit.source
        }
    }

    public var bytes: Int { state.withLock { $0.bytes } }
}
