// A thin owner of one LevelDB database handle and its option objects.
import CLevelDB
import Codec
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One open LevelDB directory. `init` opens (creating it if missing), `deinit` closes.
///
/// Not thread-safe by itself in our use: a shard belongs to one worker thread (docs/decisions/worker-slots.md),
/// so no locking is done here.
final class LevelDB {
    struct Tuning: Sendable {
        /// Memtable size before it is flushed to a table file. Larger means fewer flushes
        /// and log rotations while a round is being staged.
        var writeBufferBytes = 4 << 20
        /// Block cache shared by reads of this shard.
        var cacheBytes = 4 << 20
        /// Table files LevelDB may keep open. A worker holds many shards, so ask for the
        /// least LevelDB accepts (it raises anything lower to 74); tables open lazily, so a
        /// small shard holds only a few descriptors.
        var maxOpenFiles = 74
        /// Verify checksums on every read, so corruption surfaces as EIO, never as bad data.
        var paranoidChecks = true
    }

    let path: String
    private let db: OpaquePointer
    private let options: OpaquePointer
    private let cache: OpaquePointer
    private let readOptions: OpaquePointer
    private let asyncWrite: OpaquePointer
    private let syncWrite: OpaquePointer

    init(path: String, tuning: Tuning = Tuning()) throws(SepiaError) {
        self.path = path
        options = leveldb_options_create()
        cache = leveldb_cache_create_lru(tuning.cacheBytes)
        leveldb_options_set_create_if_missing(options, 1)
        leveldb_options_set_paranoid_checks(options, tuning.paranoidChecks ? 1 : 0)
        leveldb_options_set_write_buffer_size(options, tuning.writeBufferBytes)
        leveldb_options_set_max_open_files(options, Int32(tuning.maxOpenFiles))
        leveldb_options_set_cache(options, cache)
        // Payload chunks are often already-compressed media; compression would only cost CPU.
        leveldb_options_set_compression(options, Int32(leveldb_no_compression))
        readOptions = leveldb_readoptions_create()
        leveldb_readoptions_set_verify_checksums(readOptions, tuning.paranoidChecks ? 1 : 0)
        asyncWrite = leveldb_writeoptions_create()
        leveldb_writeoptions_set_sync(asyncWrite, 0)
        syncWrite = leveldb_writeoptions_create()
        leveldb_writeoptions_set_sync(syncWrite, 1)
        do throws(SepiaError) {
            let opts = options
            let opened = try LevelDBError.check("open shard \(path)") { leveldb_open(opts, path, $0) }
            guard let opened else { throw SepiaError(.EIO, .storage, "open shard \(path): no handle") }
            db = opened
        } catch {
            // deinit does not run for a failed init: free the option objects here.
            leveldb_writeoptions_destroy(syncWrite)
            leveldb_writeoptions_destroy(asyncWrite)
            leveldb_readoptions_destroy(readOptions)
            leveldb_options_destroy(options)
            leveldb_cache_destroy(cache)
            throw error
        }
    }

    deinit {
        leveldb_close(db)
        leveldb_writeoptions_destroy(syncWrite)
        leveldb_writeoptions_destroy(asyncWrite)
        leveldb_readoptions_destroy(readOptions)
        leveldb_options_destroy(options)
        leveldb_cache_destroy(cache)
    }

    /// The value at `key`, or nil when absent.
    func get(_ key: Bytes) throws(SepiaError) -> Bytes? {
        var length = 0
        let (db, ro) = (db, readOptions)
        let value = try LevelDBError.check("read \(path)") { err in
            key.withUnsafeBufferPointer { k in
                k.withMemoryRebound(to: CChar.self) { leveldb_get(db, ro, $0.baseAddress, $0.count, &length, err) }
            }
        }
        guard let value else { return nil }
        defer { leveldb_free(value) }
        return value.withMemoryRebound(to: UInt8.self, capacity: length) {
            Bytes(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// Applies `batch` atomically. `sync` makes it (and everything written before) durable.
    func write(_ batch: LevelWriteBatch, sync: Bool) throws(SepiaError) {
        let (db, wo) = (db, sync ? syncWrite : asyncWrite)
        try LevelDBError.check("write \(path)") { leveldb_write(db, wo, batch.handle, $0) }
    }

    /// Makes every write so far durable: one synced (empty) write fsyncs the current log;
    /// then any older log still on disk is fsynced too.
    ///
    /// Why the second step: when the memtable fills, LevelDB starts a new log file and closes
    /// the old one without fsyncing it (db_impl.cc, MakeRoomForWrite). Unsynced writes staged
    /// before that switch then sit in the old log until its memtable is flushed to a table
    /// file; a synced write only covers the new log. So a power loss in that window could
    /// lose a write we acknowledged. The old log disappears once the flush is durable, so the
    /// extra fsync runs only in that window; a log deleted meanwhile needs none.
    func syncAll() throws(SepiaError) {
        try write(LevelWriteBatch(), sync: true)
        for name in olderLogs() {
            let fd = open(path + "/" + name, O_RDONLY)
            guard fd >= 0 else { continue }  // flushed and deleted meanwhile: already durable
            defer { close(fd) }
            if fsync(fd) != 0 {
                let code = Errno(code: errno) ?? .EIO
                throw SepiaError(code == .ENOSPC ? .ENOSPC : .EIO, .storage,
                                 "sync \(path)/\(name): \(code.message)")
            }
        }
    }

    /// The `.log` files below the highest-numbered one (the current log), oldest first.
    /// Read with readdir rather than FileManager: this runs on every group commit, and the
    /// Foundation listing (Strings, arrays, attributes) cost as much as the getdents itself.
    private func olderLogs() -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var logs: [(number: UInt64, name: String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasSuffix(".log"), let number = UInt64(name.dropLast(4)) else { continue }
            logs.append((number, name))
        }
        guard logs.count > 1 else { return [] }
        return logs.sorted { $0.number < $1.number }.dropLast().map(\.name)
    }

    /// A new iterator (not positioned; call `seek`).
    func makeIterator() -> LevelIterator {
        LevelIterator(db: self, handle: leveldb_create_iterator(db, readOptions))
    }
}
