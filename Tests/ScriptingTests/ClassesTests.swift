// Script cache, Lua class files, native classes, cmsgpack.
import Codec
import Crypto
import Foundation
import Scripting
import Testing

@Suite struct ScriptCacheTests {
    static let script = "function h(i, o) o:append('hi') return 0 end cls.register(h)"

    @Test func shaHitAfterSource() {
        let h = Harness()
        #expect(h.exec(Self.script).rc == 0)
        let sha = Bytes(SHA256.hash(data: Bytes(utf8: Self.script)))
        let o = h.exec(.sha(sha), handler: "h", input: [])
        #expect(o.rc == 0 && o.text == "hi")
        #expect(h.runtime.cacheStats.hits == 1 && h.runtime.cacheStats.misses == 1)
    }

    @Test func unknownShaIsNoscript() {
        let o = Harness().exec(.sha(Bytes(repeating: 7, count: 32)), handler: "h", input: [])
        #expect(o.rc == -8 && o.kind == .noscript)
    }

    @Test func lruEvictsOldest() {
        let h = Harness(ScriptingConfig(scriptCacheEntries: 2))
        let scripts = (1...3).map { "function h() return \($0) end cls.register(h)" }
        for s in scripts { h.exec(s) }
        #expect(h.runtime.cacheStats.evictions == 1 && h.runtime.cacheStats.entries == 2)
        let first = Bytes(SHA256.hash(data: Bytes(utf8: scripts[0])))
        #expect(h.exec(.sha(first), handler: "h", input: []).kind == .noscript)
        let third = Bytes(SHA256.hash(data: Bytes(utf8: scripts[2])))
        #expect(h.exec(.sha(third), handler: "h", input: []).rc == 3)
    }

    @Test func oversizedScriptIsE2BIG() {
        let h = Harness(ScriptingConfig(maxScriptBytes: 10))
        #expect(h.exec("return 0 -- long enough").rc == -7)
    }
}

@Suite struct ClassTests {
    @Test func loadClassesFromDirectoryReportsBadFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-classes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "function greet(i, o) o:append('hello ' .. i:str()) return 0 end cls.register(greet)"
            .write(to: dir.appendingPathComponent("greeter.lua"), atomically: true, encoding: .utf8)
        try "function (".write(to: dir.appendingPathComponent("broken.lua"), atomically: true, encoding: .utf8)
        try "ignored".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let h = Harness(ScriptingConfig(classesDirectory: dir.path))
        let report = h.runtime.loadClasses()
        #expect(report.loaded == ["greeter"] && report.failed["broken"]?.kind == .compile)
        let o = h.call("greeter", "greet", input: Bytes(utf8: "bob"))
        #expect(o.rc == 0 && o.text == "hello bob")
        #expect(h.call("greeter", "nope").rc == -95)
        #expect(h.call("nosuch", "x").rc == -95)
    }

    @Test func nativeHashClass() {
        let h = Harness()
        let data = Bytes((0..<3_000_000).map { UInt8($0 % 251) })
        h.store.objects[Bytes(utf8: "big")] = StoredObject(data: data)
        let sha = h.call("hash", "sha256", oid: "big")
        #expect(sha.rc == 0 && sha.output == hex(Bytes(SHA256.hash(data: data))))
        let md5 = h.call("hash", "md5", oid: "big")
        #expect(md5.output == hex(Bytes(Insecure.MD5.hash(data: data))))
        #expect(h.call("hash", "md5", oid: "missing").rc == -2)
        #expect(h.call("hash", "crc").rc == -95)
    }

    func hex(_ b: Bytes) -> Bytes { Bytes(utf8: b.map { String(format: "%02x", $0) }.joined()) }
}

@Suite struct MsgpackTests {
    @Test func roundTrip() {
        let o = Harness().run("""
            local s = cmsgpack.pack({1, 2, 'three', {a = true, b = 1.5}}, nil, -7, 'x')
            local t, n, m, x = cmsgpack.unpack(s)
            output:append(#t .. t[3] .. tostring(t[4].a) .. t[4].b .. tostring(n) .. m .. x)
            return 0
            """)
        #expect(o.rc == 0 && o.text == "4threetrue1.5nil-7x")
    }

    @Test func packsTheWireFormat() {
        let o = Harness().run("output:append(cmsgpack.pack({}, {k = 1}, 300)) return 0")
        #expect(o.output == [0x90, 0x81, 0xA1, 0x6B, 0x01, 0xCD, 0x01, 0x2C])
    }

    @Test func sharedTablesCannotExplodeThePacker() {
        let h = Harness()
        let o = h.run("local t = {} t[1] = t t[2] = t t[3] = t return #cmsgpack.pack(t)")
        #expect(o.rc == -5 && o.error?.message.contains("more than") == true)
        #expect(h.run("local t = {} t.self = t return #cmsgpack.pack(t)").rc > 0)
        expectHealthy(h)
    }

    @Test func malformedInputIsALuaError() {
        let h = Harness()
        #expect(h.run("cmsgpack.unpack('\\220\\0\\5') return 0").rc == -5)
        expectHealthy(h)
    }
}
