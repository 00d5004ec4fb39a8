// One request's staged access to one object: primitive ops applied to an in-memory overlay
// over the shard's LevelDB, turned into one WriteBatch by `ShardStore.stage`.
import Codec

/// The transaction of one request on one object. Obtain it from `ShardStore.transaction`,
/// `apply` ops, then either hand it to `ShardStore.stage` or drop it (dropping discards
/// every staged change: nothing reaches the database before `stage`).
public final class ShardTransaction: ObjectAccess {
    public let oid: Bytes
    public let isReadOnly: Bool
    let store: ShardStore
    /// The object as committed when the transaction began (nil: it did not exist).
    let baseMeta: ObjectMeta?
    /// Taken once: every write of this transaction stamps the same mtime.
    let now: UInt64
    var isStaged = false

    /// Everything the transaction changed. Kept as one value so a failing op can restore
    /// the state it found (dictionaries are copy-on-write, so the snapshot is cheap).
    struct Overlay {
        /// The object's metadata now (nil: it does not exist now).
        var meta: ObjectMeta?
        /// The base object's stored chunks, xattrs and omap are gone (it was removed).
        var dropBase = false
        /// The base object's stored omap is gone (omap clear).
        var dropBaseOmap = false
        /// Chunk index → bytes; nil means deleted.
        var chunks: [UInt64: Bytes?] = [:]
        var xattrs: [Bytes: Bytes?] = [:]
        var omap: [Bytes: Bytes?] = [:]
        var hasWrites = false
        /// omap keys and bytes written so far by the whole request (every op and every host
        /// call adds to them), checked against the per-request limits.
        var omapEntriesWritten = 0
        var omapBytesWritten = 0
    }
    var overlay: Overlay

    init(store: ShardStore, oid: Bytes, readOnly: Bool, base: ObjectMeta?) {
        self.store = store
        self.oid = oid
        self.isReadOnly = readOnly
        self.baseMeta = base
        self.now = ShardStore.nowNanos()
        self.overlay = Overlay(meta: base)
    }

    /// True once an op changed (or re-created) the object: only then does staging write it.
    public var hasWrites: Bool { overlay.hasWrites }

    /// The object's version when the transaction began (0: it did not exist). A committed
    /// write transaction makes it one higher.
    public var currentVersion: UInt64 { baseMeta?.version ?? 0 }

    var options: ShardOptions { store.options }
    var chunkBytes: UInt64 { UInt64(store.options.chunkBytes) }

    // MARK: ObjectAccess

    public func apply(_ op: Op) throws(SepiaError) -> OpResult {
        if !op.isPrimitiveRead {
            if case .exec = op { throw SepiaError(.EINVAL, .invalid, "exec is run by the worker, not by storage") }
            if case .call = op { throw SepiaError(.EINVAL, .invalid, "call is run by the worker, not by storage") }
            if isReadOnly { throw SepiaError(.EROFS, .readonly, "write in a read-only request") }
        }
        if isStaged { throw SepiaError(.EINVAL, .bug, "transaction used after it was staged") }
        let saved = overlay
        do throws(SepiaError) {
            return try perform(op)
        } catch {
            overlay = saved  // a failed op changes nothing
            throw error
        }
    }

    private func perform(_ op: Op) throws(SepiaError) -> OpResult {
        switch op {
        case .exec, .call, .listObjects:
            throw SepiaError(.EINVAL, .invalid, "\(op.kindName) is run by the worker, not a transaction")
        case .create(let exclusive):
            if overlay.meta != nil {
                if exclusive { throw SepiaError(.EEXIST, .op, "create: object exists") }
            }
            touch()
            return .none
        case .remove:
            _ = try existing("remove")
            overlay = Overlay(meta: nil, dropBase: true, hasWrites: true)
            return .none
        case .stat:
            return .stat(try existing("stat").stat)
        case .read(let offset, let length):
            return .data(try read(offset: offset, length: length))
        case .write(let offset, let data):
            try write(offset: offset, data: data)
            return .none
        case .writeFull(let data):
            try checkSize(UInt64(data.count), "write_full")
            try truncate(to: 0)
            try write(offset: 0, data: data)
            return .none
        case .append(let data):
            try write(offset: overlay.meta?.size ?? 0, data: data)
            return .none
        case .truncate(let size):
            try truncate(to: size)
            return .none
        case .getXattr(let name):
            return .data(try xattr(name))
        case .getXattrs:
            return .entries(try xattrs(), more: false)
        case .setXattr(let name, let value):
            try setXattr(name, value)
            return .none
        case .rmXattr(let name):
            try removeXattr(name)
            return .none
        case .omapGetKeys(let startAfter, let max):
            let (entries, more) = try omapScan(startAfter: startAfter, prefix: [], max: max, keysOnly: true)
            return .keys(entries.map(\.key), more: more)
        case .omapGetVals(let startAfter, let prefix, let max):
            let (entries, more) = try omapScan(startAfter: startAfter, prefix: prefix, max: max, keysOnly: false)
            return .entries(entries, more: more)
        case .omapGetValsByKeys(let keys):
            return .entries(try omapValues(keys), more: false)
        case .omapSet(let entries):
            try omapSet(entries)
            return .none
        case .omapRemoveKeys(let keys):
            try omapRemove(keys)
            return .none
        case .omapClear:
            _ = try existing("omap clear")
            overlay.omap = [:]
            overlay.dropBaseOmap = true
            touch { $0.omapHeader = [] }
            return .none
        case .omapGetHeader:
            return .data(try existing("omap get header").omapHeader)
        case .omapSetHeader(let data):
            guard data.count <= options.maxOmapBytesPerRequest else {
                throw SepiaError(.E2BIG, .limit, "omap header of \(data.count) bytes exceeds the limit of \(options.maxOmapBytesPerRequest)")
            }
            touch { $0.omapHeader = data }
            return .none
        }
    }

    // MARK: shared helpers

    /// The object's current metadata, or ENOENT naming the op.
    func existing(_ what: String) throws(SepiaError) -> ObjectMeta {
        guard let meta = overlay.meta else { throw SepiaError(.ENOENT, .op, "\(what): no such object") }
        return meta
    }

    /// Marks a write: creates the object if needed, stamps mtime and the next version, and
    /// lets `change` edit the metadata.
    func touch(_ change: (inout ObjectMeta) -> Void = { _ in }) {
        var meta = overlay.meta ?? ObjectMeta()
        meta.mtimeNanos = now
        meta.version = currentVersion + 1
        change(&meta)
        overlay.meta = meta
        overlay.hasWrites = true
    }

    func checkSize(_ size: UInt64, _ what: String) throws(SepiaError) {
        guard size <= options.maxObjectBytes else {
            throw SepiaError(.EFBIG, .limit, "\(what): object size \(size) would exceed the limit of \(options.maxObjectBytes) bytes")
        }
    }

    /// Whether keys stored in the database for the base object still count.
    var baseVisible: Bool { baseMeta != nil && !overlay.dropBase }

    /// Stored keys under `prefix` from `start` on, as suffixes after the prefix, in order.
    func scanBase(prefix: Bytes, from start: Bytes, _ body: (Bytes, Bytes) -> Bool) throws(SepiaError) {
        let iterator = store.db.makeIterator()
        iterator.seek(prefix + start)
        while iterator.isValid {
            let key = iterator.key
            guard key.starts(with: prefix) else { break }
            if !body(Array(key[prefix.count...]), iterator.value) { break }
            iterator.next()
        }
        try iterator.checkError("scan \(store.path)")
    }

    // MARK: commit

    /// Adds this transaction's effects to `batch`: deletions of the base object's stored
    /// keys it dropped, then its overlay, so later entries win.
    func writeEffects(into batch: LevelWriteBatch) throws(SepiaError) {
        if baseMeta != nil && (overlay.dropBase || overlay.dropBaseOmap) {
            var tags: [KeyLayout.Tag] = [.omap]
            if overlay.dropBase { tags += [.chunk, .xattr] }
            for tag in tags {
                let prefix = KeyLayout.prefix(tag, oid)
                let iterator = store.db.makeIterator()
                iterator.seek(prefix)
                while iterator.isValid {
                    let key = iterator.key
                    guard key.starts(with: prefix) else { break }
                    batch.delete(key)
                    iterator.next()
                }
                try iterator.checkError("scan \(store.path)")
            }
        }
        if let meta = overlay.meta {
            batch.put(KeyLayout.meta(oid), meta.encoded)
        } else {
            batch.delete(KeyLayout.meta(oid))
        }
        for (index, data) in overlay.chunks {
            let key = KeyLayout.chunk(oid, index)
            if let data { batch.put(key, data) } else { batch.delete(key) }
        }
        for (name, value) in overlay.xattrs {
            let key = KeyLayout.xattr(oid, name)
            if let value { batch.put(key, value) } else { batch.delete(key) }
        }
        for (name, value) in overlay.omap {
            let key = KeyLayout.omap(oid, name)
            if let value { batch.put(key, value) } else { batch.delete(key) }
        }
    }
}
