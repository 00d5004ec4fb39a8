// Randomized op sequences (seeded, bounded) checked against a plain in-memory model of the
// semantics: whole byte arrays and dictionaries, no chunks, no overlay, no LevelDB.
import Codec
import Testing
@testable import Storage

/// The reference semantics of one object.
struct ModelObject: Equatable {
    var data: Bytes = []
    var xattrs: [Bytes: Bytes] = [:]
    var omap: [Bytes: Bytes] = [:]
    var header: Bytes = []
    var version: UInt64 = 0
}

/// The reference semantics of one transaction on one object.
struct ModelTransaction {
    var object: ModelObject?
    let baseVersion: UInt64
    var wrote = false
    let maxObject: UInt64
    let maxXattr: Int
    let maxOmapEntries: Int
    /// omap keys written by the request so far: the entry bound is per request, not per op.
    var omapEntriesWritten = 0

    private mutating func chargeOmap(_ count: Int) throws(SepiaError) {
        if omapEntriesWritten + count > maxOmapEntries { throw SepiaError(.E2BIG, .limit) }
        omapEntriesWritten += count
    }

    private func present() throws(SepiaError) -> ModelObject {
        guard let object else { throw SepiaError(.ENOENT, .op) }
        return object
    }

    private static func sortedKeys(_ keys: some Sequence<Bytes>) -> [Bytes] {
        keys.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Applies `op` to a copy and keeps it only if the op succeeded.
    mutating func apply(_ op: Op) throws(SepiaError) -> OpResult {
        var o = object
        let result = try perform(op, on: &o)
        object = o
        return result
    }

    private mutating func perform(_ op: Op, on o: inout ModelObject?) throws(SepiaError) -> OpResult {
        func touch(_ change: (inout ModelObject) -> Void) {
            var object = o ?? ModelObject()
            change(&object)
            object.version = baseVersion + 1
            o = object
            wrote = true
        }
        func fits(_ size: UInt64) throws(SepiaError) {
            if size > maxObject { throw SepiaError(.EFBIG, .limit) }
        }
        func entries(_ object: ModelObject, after: Bytes, prefix: Bytes, max: UInt64) -> ([KeyValue], Bool) {
            let keys = Self.sortedKeys(object.omap.keys).filter { after.lexicographicallyPrecedes($0) && $0.starts(with: prefix) }
            let limit = Int(min(max, UInt64(maxOmapEntries)))
            return (keys.prefix(limit).map { KeyValue($0, object.omap[$0]!) }, keys.count > limit)
        }
        switch op {
        case .exec, .call, .listObjects:
            throw SepiaError(.EINVAL, .invalid)
        case .create(let exclusive):
            if o != nil && exclusive { throw SepiaError(.EEXIST, .op) }
            touch { _ in }
        case .remove:
            _ = try present()
            o = nil
            wrote = true
        case .stat:
            let object = try present()
            return .stat(ObjectStat(size: UInt64(object.data.count), mtimeNanos: 0, version: object.version))
        case .read(let offset, let length):
            guard let object = o else { throw SepiaError(.ENOENT, .op) }
            guard offset < UInt64(object.data.count) else { return .data([]) }
            let size = UInt64(object.data.count)
            let end = length == 0 ? size : min(size, offset + length)
            return .data(Array(object.data[Int(offset)..<Int(end)]))
        case .write(let offset, let data):
            if !data.isEmpty { try fits(offset + UInt64(data.count)) }
            touch { object in
                guard !data.isEmpty else { return }
                let end = Int(offset) + data.count
                if object.data.count < end { object.data += Bytes(repeating: 0, count: end - object.data.count) }
                object.data.replaceSubrange(Int(offset)..<end, with: data)
            }
        case .writeFull(let data):
            try fits(UInt64(data.count))
            touch { $0.data = data }
        case .append(let data):
            return try perform(.write(offset: UInt64(o?.data.count ?? 0), data: data), on: &o)
        case .truncate(let size):
            try fits(size)
            touch { object in
                if object.data.count > Int(size) { object.data.removeSubrange(Int(size)...) }
                object.data += Bytes(repeating: 0, count: Int(size) - object.data.count)
            }
        case .getXattr(let name):
            guard let value = try present().xattrs[name] else { throw SepiaError(.ENODATA, .op) }
            return .data(value)
        case .getXattrs:
            let object = try present()
            return .entries(Self.sortedKeys(object.xattrs.keys).map { KeyValue($0, object.xattrs[$0]!) }, more: false)
        case .setXattr(let name, let value):
            if name.count + value.count > maxXattr { throw SepiaError(.E2BIG, .limit) }
            touch { $0.xattrs[name] = value }
        case .rmXattr(let name):
            guard try present().xattrs[name] != nil else { throw SepiaError(.ENODATA, .op) }
            touch { $0.xattrs[name] = nil }
        case .omapGetKeys(let after, let max):
            let (found, more) = entries(try present(), after: after, prefix: [], max: max)
            return .keys(found.map(\.key), more: more)
        case .omapGetVals(let after, let prefix, let max):
            let (found, more) = entries(try present(), after: after, prefix: prefix, max: max)
            return .entries(found, more: more)
        case .omapGetValsByKeys(let keys):
            let object = try present()
            if keys.count > maxOmapEntries { throw SepiaError(.E2BIG, .limit) }
            return .entries(Self.sortedKeys(Set(keys)).compactMap { k in object.omap[k].map { KeyValue(k, $0) } }, more: false)
        case .omapSet(let entries):
            try chargeOmap(entries.count)
            touch { object in for entry in entries { object.omap[entry.key] = entry.value } }
        case .omapRemoveKeys(let keys):
            _ = try present()
            try chargeOmap(keys.count)
            touch { object in for key in keys { object.omap[key] = nil } }
        case .omapClear:
            _ = try present()
            touch { $0.omap = [:]; $0.header = [] }
        case .omapGetHeader:
            return .data(try present().header)
        case .omapSetHeader(let data):
            touch { $0.header = data }
        }
        return .none
    }
}

@Suite struct ModelTests {
    static let names: [Bytes] = [b("a"), [0], [0xFF], b("a") + [0]]
    static let keys: [Bytes] = [b("k1"), b("k2"), b("k10"), [0], [0xFF], b("x")]

    static func randomOp(_ rng: inout Seeded) -> Op {
        func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
        func data() -> Bytes { (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        func keyList() -> [Bytes] { (0..<Int.random(in: 0...5, using: &rng)).map { _ in pick(keys) } }
        switch Int.random(in: 0..<22, using: &rng) {
        case 0: return .create(exclusive: Bool.random(using: &rng))
        case 1: return .remove
        case 2: return .stat
        case 3, 4: return .read(offset: UInt64.random(in: 0...120, using: &rng), length: UInt64.random(in: 0...50, using: &rng))
        case 5, 6, 7: return .write(offset: UInt64.random(in: 0...180, using: &rng), data: data())
        case 8: return .writeFull(data: data())
        case 9: return .append(data: data())
        case 10: return .truncate(size: UInt64.random(in: 0...210, using: &rng))
        case 11: return .getXattr(name: pick(keys))
        case 12: return .getXattrs
        case 13: return .setXattr(name: pick(keys), value: data())
        case 14: return .rmXattr(name: pick(keys))
        case 15: return .omapGetKeys(startAfter: pick([[]] + keys), max: UInt64.random(in: 0...6, using: &rng))
        case 16: return .omapGetVals(startAfter: pick([[]] + keys), prefix: pick([[], b("k"), b("k1")]), max: UInt64.random(in: 0...6, using: &rng))
        case 17: return .omapGetValsByKeys(keys: keyList())
        case 18, 19: return .omapSet(entries: keyList().map { KeyValue($0, data()) })
        case 20: return .omapRemoveKeys(keys: keyList())
        default: return pick([.omapClear, .omapGetHeader, .omapSetHeader(data: data())])
        }
    }

    /// The stat mtime is the clock's; the model does not have one.
    static func normalized(_ result: OpResult) -> OpResult {
        guard case .stat(var stat) = result else { return result }
        stat.mtimeNanos = 0
        return .stat(stat)
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomSequencesMatchTheModel(seed: UInt64) throws {
        let dir = TempDir()
        var options = ShardOptions()
        options.chunkBytes = 16
        options.maxObjectBytes = 200
        options.maxXattrBytes = 30
        options.maxOmapEntriesPerRequest = 4
        var store: ShardStore? = try ShardStore(path: dir.sub("s"), options: options)
        var model: [Bytes: ModelObject] = [:]
        var rng = Seeded(state: seed)
        for step in 0..<400 {
            try Self.runRequest(store!, &model, &rng, "seed \(seed) step \(step)")
            if step % 50 == 49 {  // close and reopen: the state must come back from disk
                try store!.sync()
                store = nil
                store = try ShardStore(path: dir.sub("s"), options: options)
                for oid in Self.names { try Self.check(store!, oid, model[oid]) }
            }
        }
        for oid in Self.names { try Self.check(store!, oid, model[oid]) }
    }

    /// One request of 1 to 5 random ops, run on the store and on the model side by side;
    /// committed (or, at random, discarded) unless an op failed.
    static func runRequest(_ store: ShardStore, _ model: inout [Bytes: ModelObject],
                           _ rng: inout Seeded, _ context: String) throws {
        let oid = names[Int.random(in: 0..<names.count, using: &rng)]
        let txn = try store.transaction(oid: oid)
        var mtxn = ModelTransaction(object: model[oid], baseVersion: model[oid]?.version ?? 0,
                                    maxObject: 200, maxXattr: 30, maxOmapEntries: 4)
        var failed = false
        for _ in 0..<Int.random(in: 1...5, using: &rng) {
            let op = randomOp(&rng)
            let expected = Result { () throws(SepiaError) in try mtxn.apply(op) }
            let actual = Result { () throws(SepiaError) in try txn.apply(op) }
            switch (expected, actual) {
            case (.success(let e), .success(let a)):
                #expect(normalized(a) == e, "\(context) \(op)")
            case (.failure(let e), .failure(let a)):
                #expect(a.rc == e.rc, "\(context) \(op)")
            default:
                Issue.record("\(context) \(op): model \(expected) vs store \(actual)")
            }
            if case .failure = actual { failed = true; break }  // the request aborts
        }
        guard !failed else { return }
        #expect(txn.hasWrites == mtxn.wrote, "\(context)")
        if Int.random(in: 0..<4, using: &rng) > 0 {
            try store.stage(txn, record: nil)
            if mtxn.wrote { model[oid] = mtxn.object }
        }
    }

    static func check(_ store: ShardStore, _ oid: Bytes, _ expected: ModelObject?) throws {
        guard let expected else {
            #expect(errnoOf { _ = try store.look(oid, .stat) } == .ENOENT)
            return
        }
        #expect(try store.look(oid, .read(offset: 0, length: 0)) == .data(expected.data))
        guard case .entries(let xattrs, _) = try store.look(oid, .getXattrs) else {
            Issue.record("unexpected result kind")
            return
        }
        var omap: [KeyValue] = []
        var more = true
        while more {  // reads are clipped to the per-request limit: page through
            guard case .entries(let page, let pageMore) = try store.look(oid, .omapGetVals(
                startAfter: omap.last?.key ?? [], prefix: [], max: 100)) else { return }
            omap += page
            more = pageMore
        }
        #expect(Dictionary(uniqueKeysWithValues: xattrs.map { ($0.key, $0.value) }) == expected.xattrs)
        #expect(Dictionary(uniqueKeysWithValues: omap.map { ($0.key, $0.value) }) == expected.omap)
        #expect(try store.look(oid, .omapGetHeader) == .data(expected.header))
    }
}
