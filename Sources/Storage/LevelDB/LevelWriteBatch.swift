// An owned LevelDB WriteBatch: the unit of atomicity of a shard commit.
import CLevelDB
import Codec

/// A batch of puts and deletes that LevelDB applies all or nothing.
final class LevelWriteBatch {
    let handle: OpaquePointer
    /// Number of puts and deletes added, so callers can skip empty writes.
    private(set) var count = 0

    init() { handle = leveldb_writebatch_create() }
    deinit { leveldb_writebatch_destroy(handle) }

    func put(_ key: Bytes, _ value: Bytes) {
        key.withUnsafeBufferPointer { k in
            value.withUnsafeBufferPointer { v in
                k.withMemoryRebound(to: CChar.self) { kc in
                    v.withMemoryRebound(to: CChar.self) { vc in
                        leveldb_writebatch_put(handle, kc.baseAddress, kc.count, vc.baseAddress, vc.count)
                    }
                }
            }
        }
        count += 1
    }

    func delete(_ key: Bytes) {
        key.withUnsafeBufferPointer { k in
            k.withMemoryRebound(to: CChar.self) { kc in
                leveldb_writebatch_delete(handle, kc.baseAddress, kc.count)
            }
        }
        count += 1
    }

    func clear() {
        leveldb_writebatch_clear(handle)
        count = 0
    }
}
