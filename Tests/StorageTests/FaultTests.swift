// Store failures surface as kind `.storage` errors with a clear errno, change nothing, and
// stay inside the failing shard.
import Codec
import Foundation
import Testing
@testable import Storage

@Suite struct FaultTests {
    let dir = TempDir()

    @Test func levelDBMessagesMapToErrnos() {
        let cases: [(String, Errno)] = [
            ("IO error: /d/000005.log: No space left on device", .ENOSPC),
            ("Corruption: bad record length", .EIO),
            ("IO error: /d/LOCK: Permission denied", .EACCES),
            ("IO error: lock /d/LOCK: already held by process", .EBUSY),
            ("IO error: /d/LOCK: Read-only file system", .EROFS),
            ("IO error: /d/000007.ldb: Input/output error", .EIO),
        ]
        for (text, errno) in cases {
            let error = LevelDBError.classify(text, context: "open shard /d")
            #expect(error.rc == errno.rc && error.kind == .storage, "\(text)")
            #expect(error.message.contains(text) && error.message.hasPrefix("open shard /d"))
        }
    }

    @Test func secondOpenIsBusy() throws {
        let store = try ShardStore(path: dir.sub("s"))
        let error = errorOf { _ = try ShardStore(path: dir.sub("s")) }
        #expect(error?.rc == Errno.EBUSY.rc && error?.kind == .storage)
        withExtendedLifetime(store) {}
    }

    @Test func corruptionOnOpenIsEIO() throws {
        let path = dir.sub("s")
        do {
            let store = try ShardStore(path: path)
            try store.run(b("o"), [.write(offset: 0, data: b("data"))])
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: path)
        let manifest = try #require(files.first { $0.hasPrefix("MANIFEST-") })
        try Data(repeating: 0x5A, count: 512).write(to: URL(fileURLWithPath: path + "/" + manifest))
        let error = errorOf { _ = try ShardStore(path: path) }
        #expect(error?.rc == Errno.EIO.rc && error?.kind == .storage, "\(String(describing: error))")
    }

    @Test(.enabled(if: StorageToolBinary.url != nil, "sepia-storage-tool not built: run swift build --build-tests"))
    func permissionDeniedIsEACCES() throws {
        let path = dir.sub("locked")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: path)
        if geteuid() == 0 {
            // root ignores permission bits: open as `nobody` in a child process instead.
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
            let output = try StorageToolBinary.run(["open", path + "/s"],
                                                   via: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
            #expect(output.hasPrefix("error -13 storage"), "\(output)")
        } else {
            let error = errorOf { _ = try ShardStore(path: path + "/s") }
            #expect(error?.rc == Errno.EACCES.rc && error?.kind == .storage)
        }
    }

    @Test(.enabled(if: geteuid() == 0, "mounting a small tmpfs needs root"))
    func diskFullIsENOSPCAndHalfAppliesNothing() throws {
        let mountPoint = dir.sub("tmpfs")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=2m") == 0 else {
            // A container without CAP_SYS_ADMIN: nothing to test here.
            print("diskFull: skipped, mount failed with errno \(errno)")
            return
        }
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        let other = try ShardStore(path: dir.sub("healthy"))
        let path = mountPoint + "/s"
        var committed = 0
        var failure: SepiaError?
        do {
            let store = try ShardStore(path: path)
            for i in 0..<64 {
                let txn = try store.transaction(oid: b("o\(i)"))
                _ = try txn.apply(.writeFull(data: Bytes(repeating: UInt8(i), count: 200_000)))
                _ = try txn.apply(.setXattr(name: b("i"), value: b("\(i)")))
                do throws(SepiaError) {
                    try store.commit(txn, record: ReplyRecord(key: b("r\(i)"), reply: b("\(i)")), durability: .sync)
                } catch {
                    failure = error
                    break
                }
                committed += 1
            }
            // After a write error the shard refuses writes until it is reopened.
            #expect(errnoOf { try store.run(b("later"), [.create(exclusive: false)]) } == .ENOSPC)
        }
        let error = try #require(failure)
        #expect(error.rc == Errno.ENOSPC.rc && error.kind == .storage && error.message.contains("disk full"))
        #expect(committed > 0)
        // Another shard keeps working.
        try other.run(b("x"), [.write(offset: 0, data: b("fine"))])
        #expect(try other.look(b("x"), .read(offset: 0, length: 0)) == .data(b("fine")))
        // Give the filesystem room, reopen: every commit is whole, the failed one is absent.
        #expect(mount("tmpfs", mountPoint, "tmpfs", UInt(MS_REMOUNT), "size=16m") == 0)
        let store = try ShardStore(path: path)
        for i in 0..<committed {
            #expect(try store.look(b("o\(i)"), .read(offset: 0, length: 0)) == .data(Bytes(repeating: UInt8(i), count: 200_000)))
            #expect(store.recorded(for: b("r\(i)"))?.reply == b("\(i)"))
        }
        let failed = b("o\(committed)")
        #expect(errnoOf { _ = try store.look(failed, .stat) } == .ENOENT)
        #expect(store.recorded(for: b("r\(committed)"))?.reply == nil)
        #expect(try store.listObjects(max: 1000).names.count == committed)
    }
}
