// An owned LevelDB iterator over a key range, used for ordered scans (objects, omap, records).
import CLevelDB
import Codec

/// A forward cursor. Keep the `LevelDB` alive while it exists (it holds a reference).
final class LevelIterator {
    private let handle: OpaquePointer
    private let db: LevelDB  // the iterator must not outlive its database

    init(db: LevelDB, handle: OpaquePointer) {
        self.db = db
        self.handle = handle
    }

    deinit { leveldb_iter_destroy(handle) }

    var isValid: Bool { leveldb_iter_valid(handle) != 0 }

    func seek(_ key: Bytes) {
        key.withUnsafeBufferPointer { k in
            k.withMemoryRebound(to: CChar.self) { leveldb_iter_seek(handle, $0.baseAddress, $0.count) }
        }
    }

    func next() { leveldb_iter_next(handle) }

    var key: Bytes {
        var length = 0
        guard let p = leveldb_iter_key(handle, &length) else { return [] }
        return p.withMemoryRebound(to: UInt8.self, capacity: length) { Bytes(UnsafeBufferPointer(start: $0, count: length)) }
    }

    var value: Bytes {
        var length = 0
        guard let p = leveldb_iter_value(handle, &length) else { return [] }
        return p.withMemoryRebound(to: UInt8.self, capacity: length) { Bytes(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// An iterator stops (becomes invalid) on a read error too; this tells the two apart.
    func checkError(_ context: @autoclosure () -> String) throws(SepiaError) {
        try LevelDBError.check(context()) { leveldb_iter_get_error(handle, $0) }
    }
}
