// An in-memory ObjectAccess with docs/scripting.md's errno rules, for the runtime's tests. A
// transaction stages a copy of the object; the test commits or discards it as the worker
// does (commit iff rc >= 0).
import Codec
import Storage

struct StoredObject: Equatable {
    var data: Bytes = []
    var xattrs: [Bytes: Bytes] = [:]
    var omap: [Bytes: Bytes] = [:]
    var header: Bytes = []
    var mtimeNanos: UInt64 = 0
    var version: UInt64 = 0
}

final class MemoryObjectStore {
    var objects: [Bytes: StoredObject] = [:]

    func begin(_ oid: Bytes, readOnly: Bool = false) -> MemoryTransaction {
        MemoryTransaction(store: self, oid: oid, readOnly: readOnly)
    }

    func object(_ oid: String) -> StoredObject? { objects[Bytes(utf8: oid)] }
}

final class MemoryTransaction: ObjectAccess {
    let store: MemoryObjectStore
    let oid: Bytes
    let isReadOnly: Bool
    private var staged: StoredObject?
    private var wrote = false

    init(store: MemoryObjectStore, oid: Bytes, readOnly: Bool) {
        self.store = store
        self.oid = oid
        self.isReadOnly = readOnly
        staged = store.objects[oid]
    }

    func commit() {
        guard wrote else { return }
        if var object = staged {
            object.version += 1
            store.objects[oid] = object
        } else {
            store.objects[oid] = nil
        }
    }

    func discard() { staged = store.objects[oid]; wrote = false }

    private func existing() throws(SepiaError) -> StoredObject {
        guard let staged else { throw SepiaError(.ENOENT, .op) }
        return staged
    }

    private func mutate(_ body: (inout StoredObject) throws(SepiaError) -> Void) throws(SepiaError) {
        guard !isReadOnly else { throw SepiaError(.EROFS, .readonly) }
        var object = staged ?? StoredObject()
        try body(&object)
        object.mtimeNanos = 1_700_000_000_000_000_000
        staged = object
        wrote = true
    }

    func apply(_ op: Op) throws(SepiaError) -> OpResult {
        switch op {
        case .exec, .call, .listObjects:
            throw SepiaError(.EINVAL, .bug, "not a primitive op")
        case .create(let exclusive):
            if staged != nil && exclusive { throw SepiaError(.EEXIST, .op) }
            try mutate { _ in }
            return .none
        case .remove:
            _ = try existing()
            guard !isReadOnly else { throw SepiaError(.EROFS, .readonly) }
            staged = nil
            wrote = true
            return .none
        case .stat:
            let o = try existing()
            return .stat(ObjectStat(size: UInt64(o.data.count), mtimeNanos: o.mtimeNanos, version: o.version))
        case .read(let offset, let length):
            guard let o = staged, offset < o.data.count else { return .data([]) }
            let end = length == 0 ? o.data.count : min(o.data.count, Int(offset + length))
            return .data(Array(o.data[Int(offset)..<end]))
        case .write(let offset, let data):
            try mutate { o in
                let end = Int(offset) + data.count
                if o.data.count < end { o.data += Bytes(repeating: 0, count: end - o.data.count) }
                o.data.replaceSubrange(Int(offset)..<end, with: data)
            }
            return .none
        case .writeFull(let data):
            try mutate { $0.data = data }
            return .none
        case .append(let data):
            try mutate { $0.data += data }
            return .none
        case .truncate(let size):
            try mutate { o in
                if o.data.count > size { o.data = Array(o.data.prefix(Int(size))) } else {
                    o.data += Bytes(repeating: 0, count: Int(size) - o.data.count)
                }
            }
            return .none
        case .getXattr(let name):
            guard let value = try existing().xattrs[name] else { throw SepiaError(.ENODATA, .op) }
            return .data(value)
        case .getXattrs:
            let o = try existing()
            return .entries(o.xattrs.map { KeyValue($0.key, $0.value) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }, more: false)
        case .setXattr(let name, let value):
            try mutate { $0.xattrs[name] = value }
            return .none
        case .rmXattr(let name):
            guard try existing().xattrs[name] != nil else { throw SepiaError(.ENODATA, .op) }
            try mutate { $0.xattrs[name] = nil }
            return .none
        case .omapGetKeys(let startAfter, let max):
            let keys = try existing().omap.keys.sorted { $0.lexicographicallyPrecedes($1) }
                .filter { startAfter.lexicographicallyPrecedes($0) }
            return .keys(Array(keys.prefix(Int(max))), more: keys.count > max)
        case .omapGetVals(let startAfter, let prefix, let max):
            let o = try existing()
            let keys = o.omap.keys.sorted { $0.lexicographicallyPrecedes($1) }
                .filter { startAfter.lexicographicallyPrecedes($0) && $0.starts(with: prefix) }
            return .entries(keys.prefix(Int(max)).map { KeyValue($0, o.omap[$0]!) }, more: keys.count > max)
        case .omapGetValsByKeys(let keys):
            let o = try existing()
            return .entries(keys.compactMap { k in o.omap[k].map { KeyValue(k, $0) } }, more: false)
        case .omapSet(let entries):
            try mutate { o in for e in entries { o.omap[e.key] = e.value } }
            return .none
        case .omapRemoveKeys(let keys):
            _ = try existing()
            try mutate { o in for k in keys { o.omap[k] = nil } }
            return .none
        case .omapClear:
            _ = try existing()
            try mutate { $0.omap = [:] }
            return .none
        case .omapGetHeader:
            return .data(try existing().header)
        case .omapSetHeader(let data):
            try mutate { $0.header = data }
            return .none
        }
    }
}
