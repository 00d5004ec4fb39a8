// Per-op semantics and errno rules of ShardTransaction (docs/scripting.md).
import Codec
import Testing
@testable import Storage

@Suite struct ShardTransactionTests {
    let dir = TempDir()

    func open(_ configure: (inout ShardOptions) -> Void = { _ in }) throws -> ShardStore {
        var options = ShardOptions()
        options.chunkBytes = 8  // tiny chunks: every test crosses chunk boundaries
        configure(&options)
        return try ShardStore(path: dir.sub("shard"), options: options)
    }

    @Test func createExclusiveAndNot() throws {
        let store = try open()
        try store.run(b("o"), [.create(exclusive: true)])
        #expect(try store.look(b("o"), .stat) == .stat(ObjectStat(size: 0, mtimeNanos: store.transaction(oid: b("o")).baseMeta!.mtimeNanos, version: 1)))
        #expect(errnoOf { try store.run(b("o"), [.create(exclusive: true)]) } == .EEXIST)
        try store.run(b("o"), [.create(exclusive: false)])
    }

    @Test func removeDropsDataXattrsAndOmap() throws {
        let store = try open()
        #expect(errnoOf { try store.run(b("o"), [.remove]) } == .ENOENT)
        try store.run(b("o"), [.write(offset: 0, data: b("hello world, long")), .setXattr(name: b("a"), value: b("1")),
                               .omapSet(entries: [KeyValue(b("k"), b("v"))]), .omapSetHeader(data: b("h"))])
        try store.run(b("o"), [.remove])
        #expect(errnoOf { _ = try store.look(b("o"), .stat) } == .ENOENT)
        try store.run(b("o"), [.create(exclusive: true)])
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data([]))
        #expect(try store.look(b("o"), .getXattrs) == .entries([], more: false))
        #expect(try store.look(b("o"), .omapGetKeys(startAfter: [], max: 10)) == .keys([], more: false))
        #expect(try store.look(b("o"), .omapGetHeader) == .data([]))
    }

    @Test func removeThenRewriteInOneTransaction() throws {
        let store = try open()
        try store.run(b("o"), [.write(offset: 0, data: b("0123456789abcdef")), .setXattr(name: b("a"), value: b("1"))])
        try store.run(b("o"), [.remove, .write(offset: 4, data: b("xy"))])
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data([0, 0, 0, 0] + b("xy")))
        #expect(try store.look(b("o"), .getXattrs) == .entries([], more: false))
    }

    @Test func readClipsAndMissingIsENOENT() throws {
        let store = try open()
        // As RADOS: a read of an object that does not exist fails (it used to read as empty).
        #expect(errnoOf { _ = try store.look(b("none"), .read(offset: 0, length: 5)) } == .ENOENT)
        try store.run(b("o"), [.write(offset: 0, data: b("0123456789abcdefghij"))])
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data(b("0123456789abcdefghij")))
        #expect(try store.look(b("o"), .read(offset: 6, length: 4)) == .data(b("6789")))
        #expect(try store.look(b("o"), .read(offset: 18, length: 10)) == .data(b("ij")))
        #expect(try store.look(b("o"), .read(offset: 20, length: 1)) == .data([]))
        #expect(try store.look(b("o"), .read(offset: 99, length: 0)) == .data([]))
        #expect(try store.look(b("o"), .read(offset: 5, length: .max)) == .data(b("56789abcdefghij")))
    }

    @Test func writeGapReadsZerosAndStatReportsSize() throws {
        let store = try open()
        try store.run(b("o"), [.write(offset: 13, data: b("ab"))])
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data(Bytes(repeating: 0, count: 13) + b("ab")))
        guard case .stat(let stat) = try store.look(b("o"), .stat) else { Issue.record("no stat"); return }
        #expect(stat.size == 15 && stat.version == 1 && stat.mtimeNanos > 0)
        try store.run(b("o"), [.write(offset: 2, data: b("XYZ"))])
        #expect(try store.look(b("o"), .read(offset: 0, length: 6)) == .data([0, 0] + b("XYZ") + [0]))
    }

    @Test func smallWriteTouchesOnlyItsChunks() throws {
        let store = try open()
        try store.run(b("big"), [.write(offset: 0, data: Bytes(repeating: 7, count: 800))])  // 100 chunks
        let txn = try store.transaction(oid: b("big"))
        _ = try txn.apply(.write(offset: 399, data: b("ab")))  // crosses chunks 49 and 50
        #expect(Set(txn.overlay.chunks.keys) == [49, 50])
        try store.stage(txn, record: nil)
        var expected = Bytes(repeating: 7, count: 800)
        expected[399] = b("a")[0]
        expected[400] = b("b")[0]
        #expect(try store.look(b("big"), .read(offset: 0, length: 0)) == .data(expected))
    }

    @Test func writeFullAppendTruncate() throws {
        let store = try open()
        try store.run(b("o"), [.writeFull(data: b("0123456789abcdefghij"))])
        try store.run(b("o"), [.writeFull(data: b("short"))])
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data(b("short")))
        try store.run(b("o"), [.append(data: b("+tail"))])
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data(b("short+tail")))
        try store.run(b("o"), [.truncate(size: 3)])
        try store.run(b("o"), [.truncate(size: 12)])  // grows: no stale bytes come back
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data(b("sho") + Bytes(repeating: 0, count: 9)))
        // The same within one transaction, against staged chunks.
        try store.run(b("p"), [.write(offset: 0, data: b("0123456789abcdefghij")), .truncate(size: 9), .truncate(size: 20)])
        #expect(try store.look(b("p"), .read(offset: 0, length: 0)) == .data(b("012345678") + Bytes(repeating: 0, count: 11)))
        try store.run(b("new"), [.truncate(size: 4)])  // truncate creates, like a write
        #expect(try store.look(b("new"), .read(offset: 0, length: 0)) == .data([0, 0, 0, 0]))
    }

    @Test func xattrs() throws {
        let store = try open()
        #expect(errnoOf { _ = try store.look(b("o"), .getXattr(name: b("a"))) } == .ENOENT)
        #expect(errnoOf { _ = try store.look(b("o"), .getXattrs) } == .ENOENT)
        try store.run(b("o"), [.setXattr(name: b("b"), value: b("2")), .setXattr(name: [0, 0xFF], value: b("bin"))])
        try store.run(b("o"), [.setXattr(name: b("a"), value: b("1"))])
        #expect(errnoOf { _ = try store.look(b("o"), .getXattr(name: b("zz"))) } == .ENODATA)
        #expect(try store.look(b("o"), .getXattr(name: [0, 0xFF])) == .data(b("bin")))
        let txn = try store.transaction(oid: b("o"))
        _ = try txn.apply(.rmXattr(name: b("b")))
        _ = try txn.apply(.setXattr(name: b("c"), value: b("3")))
        #expect(try txn.apply(.getXattrs) == .entries([KeyValue([0, 0xFF], b("bin")), KeyValue(b("a"), b("1")), KeyValue(b("c"), b("3"))], more: false))
        #expect(errnoOf { _ = try txn.apply(.rmXattr(name: b("b"))) } == .ENODATA)
        try store.stage(txn, record: nil)
        #expect(errnoOf { _ = try store.look(b("o"), .getXattr(name: b("b"))) } == .ENODATA)
    }

    @Test func omapBoundsHoldAcrossOpsOfOneRequest() throws {
        let store = try open { $0.maxOmapBytesPerRequest = 100; $0.maxOmapEntriesPerRequest = 5 }
        let txn = try store.transaction(oid: b("o"))
        // Each write is within the bounds; together they are not.
        _ = try txn.apply(.omapSet(entries: [KeyValue(b("a"), Bytes(repeating: 1, count: 60))]))
        #expect(errnoOf { _ = try txn.apply(.omapSet(entries: [KeyValue(b("b"), Bytes(repeating: 2, count: 60))])) } == .E2BIG)
        _ = try txn.apply(.omapSet(entries: [KeyValue(b("c"), b("v")), KeyValue(b("d"), b("v"))]))
        #expect(errnoOf { _ = try txn.apply(.omapRemoveKeys(keys: [b("a"), b("c"), b("d")])) } == .E2BIG)
        // The refused writes changed nothing and were not charged: one more key still fits.
        _ = try txn.apply(.omapRemoveKeys(keys: [b("a")]))
    }

    @Test func omapRangesMergeStagedAndStored() throws {
        let store = try open()
        #expect(errnoOf { _ = try store.look(b("o"), .omapGetKeys(startAfter: [], max: 5)) } == .ENOENT)
        #expect(errnoOf { try store.run(b("o"), [.omapRemoveKeys(keys: [b("x")])]) } == .ENOENT)
        #expect(errnoOf { try store.run(b("o"), [.omapClear]) } == .ENOENT)
        try store.run(b("o"), [.omapSet(entries: ["a1", "a2", "b1", "b3", "c1"].map { KeyValue(b($0), b("v" + $0)) })])
        let txn = try store.transaction(oid: b("o"))
        _ = try txn.apply(.omapSet(entries: [KeyValue(b("b2"), b("new")), KeyValue(b("b3"), b("over"))]))
        _ = try txn.apply(.omapRemoveKeys(keys: [b("b1"), b("absent")]))
        #expect(try txn.apply(.omapGetKeys(startAfter: [], max: 100)) == .keys(["a1", "a2", "b2", "b3", "c1"].map(b), more: false))
        #expect(try txn.apply(.omapGetKeys(startAfter: b("a2"), max: 2)) == .keys([b("b2"), b("b3")], more: true))
        #expect(try txn.apply(.omapGetVals(startAfter: [], prefix: b("b"), max: 10)) ==
                .entries([KeyValue(b("b2"), b("new")), KeyValue(b("b3"), b("over"))], more: false))
        #expect(try txn.apply(.omapGetVals(startAfter: b("b2"), prefix: b("b"), max: 10)) ==
                .entries([KeyValue(b("b3"), b("over"))], more: false))
        #expect(try txn.apply(.omapGetVals(startAfter: [], prefix: b("a"), max: 1)) ==
                .entries([KeyValue(b("a1"), b("va1"))], more: true))
        #expect(try txn.apply(.omapGetValsByKeys(keys: [b("c1"), b("b1"), b("b2"), b("zz")])) ==
                .entries([KeyValue(b("b2"), b("new")), KeyValue(b("c1"), b("vc1"))], more: false))
        try store.stage(txn, record: nil)
        #expect(try store.look(b("o"), .omapGetKeys(startAfter: b("b"), max: 100)) == .keys(["b2", "b3", "c1"].map(b), more: false))
    }

    @Test func omapHeaderAndClear() throws {
        let store = try open()
        try store.run(b("o"), [.create(exclusive: true)])
        #expect(try store.look(b("o"), .omapGetHeader) == .data([]))
        try store.run(b("o"), [.omapSetHeader(data: b("hdr")), .omapSet(entries: [KeyValue(b("k"), b("v"))])])
        #expect(try store.look(b("o"), .omapGetHeader) == .data(b("hdr")))
        try store.run(b("o"), [.omapClear, .omapSet(entries: [KeyValue(b("after"), b("1"))])])
        #expect(try store.look(b("o"), .omapGetVals(startAfter: [], prefix: [], max: 10)) == .entries([KeyValue(b("after"), b("1"))], more: false))
        #expect(try store.look(b("o"), .omapGetHeader) == .data([]))
    }

    @Test func execAndCallAreRefused() throws {
        let store = try open()
        let txn = try store.transaction(oid: b("o"))
        #expect(errnoOf { _ = try txn.apply(.exec(script: .source(b("x")), handler: "h", input: [])) } == .EINVAL)
        #expect(errnoOf { _ = try txn.apply(.call(className: "c", method: "m", input: [])) } == .EINVAL)
    }

    @Test func readOnlyRefusesEveryWrite() throws {
        let store = try open()
        try store.run(b("o"), [.write(offset: 0, data: b("data"))])
        let txn = try store.transaction(oid: b("o"), readOnly: true)
        let writes: [Op] = [.create(exclusive: false), .remove, .write(offset: 0, data: b("x")), .writeFull(data: []),
                            .append(data: b("x")), .truncate(size: 0), .setXattr(name: b("a"), value: []),
                            .rmXattr(name: b("a")), .omapSet(entries: []), .omapRemoveKeys(keys: []), .omapClear,
                            .omapSetHeader(data: [])]
        for op in writes {
            #expect(throws: SepiaError(.EROFS, .readonly, "write in a read-only request")) { _ = try txn.apply(op) }
        }
        #expect(try txn.apply(.read(offset: 0, length: 0)) == .data(b("data")))
        #expect(!txn.hasWrites)
    }

    @Test func limitsAreEnforced() throws {
        let store = try open {
            $0.maxObjectBytes = 100
            $0.maxXattrBytes = 10
            $0.maxOmapEntriesPerRequest = 3
            $0.maxOmapBytesPerRequest = 40
        }
        func kindAndErrno(_ body: () throws -> Void) -> (ErrorKind, Errno?)? {
            errorOf(body).map { ($0.kind, Errno(code: $0.rc)) }
        }
        let txn = try store.transaction(oid: b("o"))
        #expect(kindAndErrno { _ = try txn.apply(.write(offset: 99, data: b("ab"))) }! == (.limit, .EFBIG))
        #expect(kindAndErrno { _ = try txn.apply(.truncate(size: 101)) }! == (.limit, .EFBIG))
        #expect(kindAndErrno { _ = try txn.apply(.setXattr(name: b("name"), value: b("1234567"))) }! == (.limit, .E2BIG))
        let four = (0..<4).map { KeyValue(b("k\($0)"), b("v")) }
        #expect(kindAndErrno { _ = try txn.apply(.omapSet(entries: four)) }! == (.limit, .E2BIG))
        #expect(kindAndErrno { _ = try txn.apply(.omapSet(entries: [KeyValue(b("k"), Bytes(repeating: 1, count: 40))])) }! == (.limit, .E2BIG))
        #expect(!txn.hasWrites)
        // The entry bound is per request: a second write in the same request is over it.
        _ = try txn.apply(.omapSet(entries: Array(four.prefix(3))))
        #expect(kindAndErrno { _ = try txn.apply(.omapSet(entries: [four[3]])) }! == (.limit, .E2BIG))
        // Four keys written by two requests; reads are clipped to the per-request entry limit
        // and say there is more.
        try store.run(b("o"), [.omapSet(entries: Array(four.prefix(3)))])
        try store.run(b("o"), [.omapSet(entries: [four[3]])])
        #expect(try store.transaction(oid: b("o")).apply(.omapGetKeys(startAfter: [], max: 100)) == .keys(["k0", "k1", "k2"].map(b), more: true))
    }

    @Test func failedOpChangesNothing() throws {
        let store = try open { $0.maxObjectBytes = 64 }
        let txn = try store.transaction(oid: b("o"))
        _ = try txn.apply(.write(offset: 0, data: b("keep")))
        let before = txn.overlay.meta
        #expect(errnoOf { _ = try txn.apply(.writeFull(data: Bytes(repeating: 1, count: 65))) } == .EFBIG)
        #expect(errnoOf { _ = try txn.apply(.rmXattr(name: b("missing"))) } == .ENODATA)
        #expect(txn.overlay.meta == before)
        #expect(try txn.apply(.read(offset: 0, length: 0)) == .data(b("keep")))
    }

    @Test func versionAndMtimeMoveOnlyWithWrites() throws {
        let store = try open()
        try store.run(b("o"), [.write(offset: 0, data: b("a"))])
        try store.run(b("o"), [.append(data: b("b"))])
        let reader = try store.transaction(oid: b("o"))
        #expect(reader.currentVersion == 2)
        _ = try reader.apply(.read(offset: 0, length: 0))
        #expect(!reader.hasWrites)
        try store.stage(reader, record: nil)
        guard case .stat(let stat) = try store.look(b("o"), .stat) else { Issue.record("no stat"); return }
        #expect(stat.version == 2)
        let txn = try store.transaction(oid: b("o"))
        _ = try txn.apply(.setXattr(name: b("x"), value: []))
        guard case .stat(let staged) = try txn.apply(.stat) else { Issue.record("no stat"); return }
        #expect(staged.version == 3 && staged.mtimeNanos >= stat.mtimeNanos)
    }
}
