// Lua class files and native Swift classes, through LuaRuntime.call.
import Codec
import Crypto
import Foundation
import Scripting
import Testing

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
