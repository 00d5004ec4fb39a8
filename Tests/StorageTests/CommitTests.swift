// Commit path: discarding, atomic staging, group commit counts, exactly-once records.
import Codec
import Testing
@testable import Storage

@Suite struct CommitTests {
    let dir = TempDir()

    @Test func discardedTransactionLeavesNothing() throws {
        let store = try ShardStore(path: dir.sub("s"))
        try store.run(b("o"), [.write(offset: 0, data: b("before"))])
        do {
            let txn = try store.transaction(oid: b("o"))
            _ = try txn.apply(.writeFull(data: b("after")))
            _ = try txn.apply(.setXattr(name: b("x"), value: b("1")))
            #expect(errnoOf { _ = try txn.apply(.create(exclusive: true)) } == .EEXIST)
            // The worker aborts the request: it drops the transaction.
        }
        try store.run(b("p"), [.create(exclusive: true)])  // an unrelated later commit
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data(b("before")))
        #expect(try store.look(b("o"), .getXattrs) == .entries([], more: false))
        guard case .stat(let stat) = try store.look(b("o"), .stat) else { Issue.record("no stat"); return }
        #expect(stat.version == 1)
    }

    @Test func stagedTransactionIsWholeAfterReopen() throws {
        let path = dir.sub("s")
        do {
            let store = try ShardStore(path: path)
            let txn = try store.transaction(oid: b("o"))
            _ = try txn.apply(.write(offset: 0, data: Bytes(repeating: 9, count: 200_000)))  // 4 chunks
            _ = try txn.apply(.setXattr(name: b("x"), value: b("1")))
            _ = try txn.apply(.omapSet(entries: [KeyValue(b("k"), b("v"))]))
            try store.stage(txn, record: ReplyRecord(key: b("req"), reply: b("ok")))
            #expect(errorOf { try store.stage(txn, record: nil) }?.kind == .bug)  // once only
            try store.sync()
        }
        let store = try ShardStore(path: path)
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data(Bytes(repeating: 9, count: 200_000)))
        #expect(try store.look(b("o"), .getXattr(name: b("x"))) == .data(b("1")))
        #expect(try store.look(b("o"), .omapGetValsByKeys(keys: [b("k")])) == .entries([KeyValue(b("k"), b("v"))], more: false))
        #expect(store.recorded(for: b("req"))?.reply == b("ok"))
    }

    @Test func groupCommitSyncsOncePerRound() throws {
        let store = try ShardStore(path: dir.sub("s"))
        for i in 0..<10 {
            let txn = try store.transaction(oid: b("o\(i)"))
            _ = try txn.apply(.append(data: b("x")))
            try store.stage(txn, record: nil)
        }
        #expect(store.unsyncedStages == 10)
        try store.sync()
        try store.sync()  // nothing staged: no second fsync
        #expect(store.syncCount == 1 && store.unsyncedStages == 0)
        let none = try store.transaction(oid: b("n"))
        _ = try none.apply(.create(exclusive: true))
        try store.commit(none, record: nil, durability: .none)
        #expect(store.syncCount == 1 && store.unsyncedStages == 1)
    }

    @Test func laterTransactionsSeeStagedOnes() throws {
        let store = try ShardStore(path: dir.sub("s"))
        let first = try store.transaction(oid: b("o"))
        _ = try first.apply(.write(offset: 0, data: b("one")))
        try store.stage(first, record: nil)
        let second = try store.transaction(oid: b("o"))
        _ = try second.apply(.append(data: b("+two")))
        try store.stage(second, record: nil)
        try store.sync()
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data(b("one+two")))
        #expect(try store.transaction(oid: b("o")).currentVersion == 2)
    }

    @Test func staleTransactionIsRefused() throws {
        let store = try ShardStore(path: dir.sub("s"))
        let a = try store.transaction(oid: b("o"))
        let c = try store.transaction(oid: b("o"))
        _ = try a.apply(.write(offset: 0, data: b("a")))
        _ = try c.apply(.write(offset: 0, data: b("c")))
        try store.stage(a, record: nil)
        #expect(errnoOf { try store.stage(c, record: nil) } == .EAGAIN)
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data(b("a")))
    }

    @Test func recordedRepliesSurviveReopen() throws {
        let path = dir.sub("s")
        let key = ShardStore.recordKey(client: [0, 1, 2], requestID: 77)
        #expect(key != ShardStore.recordKey(client: [0, 1], requestID: 77))
        #expect(key != ShardStore.recordKey(client: [0, 1, 2], requestID: 78))
        do {
            let store = try ShardStore(path: path)
            #expect(store.recorded(for: key)?.reply == nil)
            try store.run(b("o"), [.append(data: b("x"))], record: ReplyRecord(key: key, reply: b("reply-77")))
            // A failed request's reply can be recorded too, with no effects.
            try store.commit(store.transaction(oid: b("o")), record: ReplyRecord(key: b("failed"), reply: b("rc=-2")), durability: .sync)
        }
        let store = try ShardStore(path: path)
        #expect(store.recorded(for: key)?.reply == b("reply-77"))
        #expect(store.recorded(for: b("failed"))?.reply == b("rc=-2"))
        #expect(store.recordCount == 2)
        #expect(try store.look(b("o"), .read(offset: 0, length: 0)) == .data(b("x")))
    }

    @Test func recordsArePrunedByCount() throws {
        var options = ShardOptions()
        options.maxRecords = 5
        options.prunePerStage = 2
        let path = dir.sub("s")
        do {
            let store = try ShardStore(path: path, options: options)
            for i in 0..<20 {
                try store.commit(store.transaction(oid: b("o")), record: ReplyRecord(key: b("r\(i)"), reply: b("\(i)")), durability: .none)
                #expect(store.recordCount <= max(6, i + 1))
            }
            #expect(store.recordCount <= 6)
            try store.sync()
        }
        let store = try ShardStore(path: path, options: options)
        #expect(store.recordCount <= 6)
        #expect(store.recorded(for: b("r19"))?.reply == b("19"))  // the newest stay
        #expect(store.recorded(for: b("r0"))?.reply == nil)       // the oldest went
    }

    @Test func recordsArePrunedByAge() throws {
        var options = ShardOptions()
        options.recordRetentionSeconds = 0  // everything already stored is too old
        let store = try ShardStore(path: dir.sub("s"), options: options)
        for i in 0..<5 {
            try store.commit(store.transaction(oid: b("o")), record: ReplyRecord(key: b("r\(i)"), reply: []), durability: .none)
        }
        #expect(store.recordCount == 1)  // each stage pruned the ones before it
        #expect(store.recorded(for: b("r4"))?.reply == [])
        #expect(try store.pruneRecords(limit: 10) == 1)
        #expect(store.recordCount == 0 && store.recorded(for: b("r4"))?.reply == nil)
    }

    @Test func syncCoversWritesBeforeALogSwitch() throws {
        var options = ShardOptions()
        options.writeBufferBytes = 64 << 10  // LevelDB switches logs every few stages
        let path = dir.sub("s")
        do {
            let store = try ShardStore(path: path, options: options)
            for round in 0..<4 {
                for i in 0..<16 {
                    let txn = try store.transaction(oid: b("o\(round)-\(i)"))
                    _ = try txn.apply(.writeFull(data: Bytes(repeating: UInt8(i), count: 8192)))
                    try store.stage(txn, record: nil)
                }
                try store.sync()
            }
        }
        let store = try ShardStore(path: path, options: options)
        #expect(try store.listObjects(max: 100).names.count == 64)
        #expect(try store.look(b("o3-15"), .read(offset: 0, length: 0)) == .data(Bytes(repeating: 15, count: 8192)))
    }

    /// The worker's exactly-once flow: look up the record, else run and stage with it.
    @Test func retriedRequestAppliesOnce() throws {
        let store = try ShardStore(path: dir.sub("s"))
        let key = ShardStore.recordKey(client: b("client-1"), requestID: 5)
        func handle() throws -> Bytes {
            if let reply = store.recorded(for: key)?.reply { return reply }
            let txn = try store.transaction(oid: b("counter"))
            _ = try txn.apply(.append(data: b("+")))
            guard case .data(let now) = try txn.apply(.read(offset: 0, length: 0)) else { return [] }
            try store.stage(txn, record: ReplyRecord(key: key, reply: now))
            return now
        }
        let first = try handle()
        try store.sync()
        #expect(try handle() == first)  // the retry
        #expect(try handle() == b("+"))
        #expect(try store.look(b("counter"), .read(offset: 0, length: 0)) == .data(b("+")))
    }
}
