// One shard: a LevelDB directory holding its objects and its exactly-once records, and the
// commit path (stage many transactions, sync once) that gives the worker group commit.
import Codec
#if canImport(Glibc)
import Glibc
#endif

/// A shard's store. Open it when the worker gains the shard, drop it when it loses it
/// (LevelDB's LOCK file fences any other opener meanwhile: that is EBUSY).
///
/// Threading: a shard belongs to one worker thread (docs/decisions/worker-slots.md), so a `ShardStore` and its
/// transactions are used from one thread at a time and the type is deliberately not Sendable.
///
/// Group commit: the worker runs a round of requests; each is applied to its own
/// `ShardTransaction` and handed to `stage` (one atomic, unsynced LevelDB write holding the
/// effects and the request's reply record); then it calls `sync()` once per touched shard
/// and only then sends the round's replies. One fsync covers the whole round.
public final class ShardStore {
    public let path: String
    public let options: ShardOptions
    let db: LevelDB

    /// Exactly-once records currently stored (maintained incrementally; counted at open).
    public private(set) var recordCount: Int = 0
    /// Stages since the last successful `sync()`.
    public private(set) var unsyncedStages: Int = 0
    /// Syncs performed since open (benchmarks show the grouping with it).
    public private(set) var syncCount: Int = 0
    /// Sequence of the next record, to order records stamped in the same nanosecond.
    private var nextRecordSequence: UInt64 = 0
    /// After a failed LevelDB write the database refuses further writes (LevelDB keeps the
    /// background error); we remember it so every later write fails fast with the same cause.
    private var writeFailure: SepiaError?
    /// True once a write failed (disk full, I/O): only closing and reopening the shard, which
    /// replays its log, lets it write again.
    public var hasFailedWrite: Bool { writeFailure != nil }

    /// Opens (creating if missing) the shard at `path`. Throws kind `.storage`: EACCES
    /// (permission), EBUSY (already open), EIO (corruption or I/O), ENOSPC.
    public init(path: String, options: ShardOptions = ShardOptions()) throws(SepiaError) {
        self.path = path
        self.options = options
        guard options.chunkBytes > 0 else {
            throw SepiaError(.EINVAL, .invalid, "chunkBytes must be positive")
        }
        var tuning = LevelDB.Tuning()
        tuning.writeBufferBytes = options.writeBufferBytes
        tuning.cacheBytes = options.cacheBytes
        db = try LevelDB(path: path, tuning: tuning)
        try loadRecordIndex()
    }

    // MARK: transactions

    /// A new transaction on `oid`, reading the committed (and staged) state of the shard.
    public func transaction(oid: Bytes, readOnly: Bool = false) throws(SepiaError) -> ShardTransaction {
        try ShardTransaction(store: self, oid: oid, readOnly: readOnly, base: loadMeta(oid))
    }

    /// Writes the transaction's effects and, if given, the request's reply record as ONE
    /// LevelDB write (all or nothing), without syncing. Later transactions see it at once;
    /// call `sync()` before acknowledging. A transaction is staged at most once.
    public func stage(_ txn: ShardTransaction, record: ReplyRecord?) throws(SepiaError) {
        guard txn.store === self else {
            throw SepiaError(.EINVAL, .bug, "transaction staged on a shard it does not belong to")
        }
        guard !txn.isStaged else { throw SepiaError(.EINVAL, .bug, "transaction staged twice") }
        if let writeFailure { throw writeFailure }
        let batch = LevelWriteBatch()
        if txn.hasWrites {
            // The worker serializes a shard's requests; this catches a caller that did not.
            let current = try loadMeta(txn.oid)
            guard current == txn.baseMeta else {
                throw SepiaError(.EAGAIN, .storage, "object changed since the transaction began")
            }
            try txn.writeEffects(into: batch)
        }
        var added = 0
        var pruned = 0
        if let record {
            let stamp = Self.nowNanos()
            var value = Bytes()
            KeyLayout.appendUInt64(stamp, to: &value)
            KeyLayout.appendUInt64(nextRecordSequence, to: &value)
            record.appendValue(to: &value)
            batch.put(KeyLayout.record(record.key), value)
            batch.put(KeyLayout.recordAge(stamp: stamp, sequence: nextRecordSequence), record.key)
            added = 1
            pruned = try pruneRecords(into: batch, now: stamp, limit: options.prunePerStage)
        }
        if batch.count > 0 {
            do throws(SepiaError) {
                try db.write(batch, sync: false)
            } catch {
                writeFailure = error
                throw error
            }
            unsyncedStages += 1
        }
        if added > 0 { nextRecordSequence += 1 }
        recordCount += added - pruned
        txn.isStaged = true
    }

    /// Makes everything staged so far durable with one synced write.
    public func sync() throws(SepiaError) {
        if let writeFailure { throw writeFailure }
        guard unsyncedStages > 0 else { return }
        do throws(SepiaError) {
            try db.syncAll()
        } catch {
            writeFailure = error
            throw error
        }
        unsyncedStages = 0
        syncCount += 1
    }

    /// Stage, then sync unless `durability` is `.none`: one request, no grouping.
    public func commit(_ txn: ShardTransaction, record: ReplyRecord?,
                       durability: Durability) throws(SepiaError) {
        try stage(txn, record: record)
        if durability == .sync { try sync() }
    }

    // MARK: exactly-once records

    /// The key of a request's exactly-once record: length-prefixed client id, then the
    /// request id (big-endian), so no two (client, id) pairs share a key.
    public static func recordKey(client: Bytes, requestID: UInt64) -> Bytes {
        var key = Bytes()
        key.reserveCapacity(12 + client.count)
        KeyLayout.appendUInt64(UInt64(client.count), to: &key)
        key += client
        KeyLayout.appendUInt64(requestID, to: &key)
        return key
    }

    /// The record of a request that already committed (its reply and fingerprint), or nil. A
    /// read error also answers nil: the request then runs again and its commit reports the
    /// storage error.
    public func recorded(for key: Bytes) -> ReplyRecord? {
        guard let value = try? db.get(KeyLayout.record(key)), value.count >= 16 else { return nil }
        return ReplyRecord(key: key, value: value[16...])
    }

    /// Prunes up to `limit` records that are too old or beyond `maxRecords`, in one write.
    /// The worker may call it when idle; `stage` already prunes a few each time.
    @discardableResult
    public func pruneRecords(limit: Int) throws(SepiaError) -> Int {
        if let writeFailure { throw writeFailure }
        let batch = LevelWriteBatch()
        let pruned = try pruneRecords(into: batch, now: Self.nowNanos(), limit: limit)
        guard pruned > 0 else { return 0 }
        do throws(SepiaError) { try db.write(batch, sync: false) } catch { writeFailure = error; throw error }
        unsyncedStages += 1
        recordCount -= pruned
        return pruned
    }

    /// Walks the age index from the oldest record and queues deletion of those past the
    /// count or age bound.
    private func pruneRecords(into batch: LevelWriteBatch, now: UInt64, limit: Int) throws(SepiaError) -> Int {
        let maxAge = options.recordRetentionSeconds.multipliedReportingOverflow(by: 1_000_000_000)
        let cutoff = maxAge.overflow || maxAge.partialValue > now ? 0 : now - maxAge.partialValue
        let iterator = db.makeIterator()
        iterator.seek([KeyLayout.Tag.recordAge.rawValue])
        var pruned = 0
        while pruned < limit, iterator.isValid {
            let key = iterator.key
            guard key.first == KeyLayout.Tag.recordAge.rawValue,
                  let stamp = KeyLayout.readUInt64(key, at: 1) else { break }
            guard recordCount - pruned > options.maxRecords || stamp < cutoff else { break }
            let recordKey = KeyLayout.record(iterator.value)
            // A re-staged key may have a newer record than this index entry: keep that one.
            if let stored = try db.get(recordKey), Array(stored.prefix(16)) == Array(key[1...]) {
                batch.delete(recordKey)
            }
            batch.delete(key)
            pruned += 1
            iterator.next()
        }
        try iterator.checkError("prune records of \(path)")
        return pruned
    }

    /// Counts the records and finds the next sequence number (one scan of the age index).
    private func loadRecordIndex() throws(SepiaError) {
        let iterator = db.makeIterator()
        iterator.seek([KeyLayout.Tag.recordAge.rawValue])
        var count = 0
        var maxSequence: UInt64?
        while iterator.isValid {
            let key = iterator.key
            guard key.first == KeyLayout.Tag.recordAge.rawValue else { break }
            count += 1
            if let sequence = KeyLayout.readUInt64(key, at: 9) { maxSequence = max(maxSequence ?? 0, sequence) }
            iterator.next()
        }
        try iterator.checkError("load records of \(path)")
        recordCount = count
        nextRecordSequence = maxSequence.map { $0 + 1 } ?? 0
    }

    // MARK: listing

    /// Object names in byte order, strictly after `startAfter`, starting with `prefix`, at
    /// most `max`; `more` when further names match (`sepia ls` pages with it).
    public func listObjects(startAfter: Bytes = [], prefix: Bytes = [], max: Int) throws(SepiaError) -> (names: [Bytes], more: Bool) {
        // The smallest name after `startAfter` is `startAfter + [0]`; encoding keeps order.
        let after = startAfter + [0]
        let first = after.lexicographicallyPrecedes(prefix) ? prefix : after
        let iterator = db.makeIterator()
        iterator.seek(KeyLayout.meta(first))
        var names: [Bytes] = []
        var more = false
        while iterator.isValid {
            let key = iterator.key
            guard key.first == KeyLayout.Tag.meta.rawValue,
                  let (name, _) = KeyLayout.decodeName(key, from: 1),
                  name.starts(with: prefix) else { break }
            if names.count >= max { more = true; break }
            names.append(name)
            iterator.next()
        }
        try iterator.checkError("list objects of \(path)")
        return (names, more)
    }

    // MARK: helpers

    func loadMeta(_ oid: Bytes) throws(SepiaError) -> ObjectMeta? {
        guard let bytes = try db.get(KeyLayout.meta(oid)) else { return nil }
        guard let meta = ObjectMeta(decoding: bytes) else {
            throw SepiaError(.EIO, .storage, "\(path): corrupt metadata record for an object")
        }
        return meta
    }

    static func nowNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
