// The `magick` Lua module and the imgserv class through a real cluster: leafo/magick names,
// errors as errnos, and the same imgserv script working with exec.
import Client
import Codec
import Foundation
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct MagickModuleTests {
    static func sampleJPEG(_ dir: URL, width: Int = 640, height: Int = 480) async throws -> Bytes {
        let path = dir.appendingPathComponent("images").path
        let r = try await CLIRunner.run(["thumbs", "samples", path, "--count", "1", "--sizes", "\(width)x\(height)"], broker: nil)
        #expect(r.status == 0, "\(r.stderr)")
        return Bytes(try Data(contentsOf: URL(fileURLWithPath: path + "/sample-0000.jpg")))
    }

    static let script = Bytes("""
    function info(input, output)
      local img = magick.load_image_from_blob(input:str())
      output:append(img:get_width() .. "x" .. img:get_height() .. " " .. img:get_format())
      img:destroy()
    end
    function edit(input, output)
      local img = magick.load_image_from_blob(input:str())
      img:resize(100, 50)
      img:crop(40, 30, 10, 10)
      img:set_format("png")
      img:strip()
      local small = magick.load_image_from_blob(img:get_blob())
      output:append(small:get_width() .. "x" .. small:get_height() .. " " .. small:get_format())
    end
    function thumb(input, output)
      output:append(magick.thumb(input:str(), "64x64#"))
    end
    function badspec(input, output)
      output:append(magick.thumb(input:str(), "64xfoo"))
    end
    function caught(input, output)
      local ok, rc, msg = pcall(magick.load_image_from_blob, "not an image")
      output:append(tostring(ok) .. " " .. tostring(rc))
    end
    function ping(input, output)
      local w, h, f = magick.ping(input:str())
      output:append(w .. "x" .. h .. " " .. f)
    end
    cls.register(info)
    cls.register(edit)
    cls.register(thumb)
    cls.register(badspec)
    cls.register(caught)
    cls.register(ping)
    """.utf8)

    @Test func magickModuleWorksInsideTheWorkers() async throws {
        let cluster = try ClusterHarness(workers: 1)
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client()
        let jpeg = try await Self.sampleJPEG(cluster.dataRoot)
        let oid = Array("m".utf8)
        let run = { (handler: String, input: Bytes) async throws -> CallResult in
            try await client.exec(oid: oid, script: Self.script, handler: handler, input: input)
        }
        #expect(String(decoding: try await run("info", jpeg).output, as: UTF8.self) == "640x480 jpeg")
        #expect(String(decoding: try await run("edit", jpeg).output, as: UTF8.self) == "40x30 png")
        #expect(String(decoding: try await run("ping", jpeg).output, as: UTF8.self) == "640x480 jpeg")
        let thumb = try await run("thumb", jpeg)
        #expect(thumb.rc == 0)
        #expect(thumb.output.starts(with: [0xFF, 0xD8]), "a JPEG")
        let bad = try await run("badspec", jpeg)
        #expect(bad.rc == Errno.EINVAL.rc)
        #expect(bad.error?.message.contains("64xfoo") == true, "\(String(describing: bad.error))")
        let garbage = try await run("info", Array("definitely not an image".utf8))
        #expect(garbage.rc == Errno.EINVAL.rc, "\(garbage)")
        #expect(String(decoding: try await run("caught", []).output, as: UTF8.self) == "false -22")
    }

    @Test func imgservAsAClassAndWithExec() async throws {
        let cluster = try ClusterHarness(workers: 1)
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client()
        let jpeg = try await Self.sampleJPEG(cluster.dataRoot, width: 800, height: 600)
        let oid = Array("photo".utf8)
        // Installed class.
        #expect(try await client.call(oid: oid, className: "imgserv", method: "put", input: jpeg).rc == 0)
        let made = try await client.call(oid: oid, className: "imgserv", method: "thumb", input: Array("100x100".utf8))
        #expect(made.rc == 0)
        let again = try await client.call(oid: oid, className: "imgserv", method: "thumb", input: Array("100x100".utf8))
        #expect(again.rc == 1, "already there")
        #expect(again.output == made.output)
        let got = try await client.call(oid: oid, className: "imgserv", method: "get", input: Array("100x100".utf8))
        #expect(got.output == made.output)
        #expect(try await client.call(oid: oid, className: "imgserv", method: "get", input: Array("original".utf8)).output == jpeg)
        // The same file sent with exec works on another object.
        let source = Bytes(try Data(contentsOf: ClusterHarness.repoRoot.appendingPathComponent("classes/imgserv.lua")))
        let other = Array("photo2".utf8)
        #expect(try await client.exec(oid: other, script: source, handler: "put", input: jpeg).rc == 0)
        let viaExec = try await client.exec(oid: other, script: source, handler: "thumb", input: Array("100x100".utf8))
        #expect(viaExec.rc == 0)
        #expect(viaExec.output == made.output)
        // A corrupt upload is refused with EINVAL and leaves nothing behind.
        let corrupt = try await client.call(oid: Array("broken".utf8), className: "imgserv", method: "put",
                                            input: Array(jpeg.prefix(64)) + Bytes(repeating: 0x42, count: 64))
        #expect(corrupt.rc == Errno.EINVAL.rc, "\(corrupt)")
        let stat = try await client.send(oid: Array("broken".utf8), ops: [.stat], options: RequestOptions(readOnly: true))
        #expect(stat.rc == Errno.ENOENT.rc, "a refused upload must leave no object")
        // No original yet → ENOENT with a message in the logs.
        let none = try await client.call(oid: Array("empty".utf8), className: "imgserv", method: "thumb",
                                         input: Array("10x10".utf8), options: RequestOptions(wantLogs: true))
        #expect(none.rc == Errno.ENOENT.rc)
        #expect(none.logs?.contains { $0.contains("no original image") } == true)
    }

    @Test func anOverLimitUploadIsRefusedFromItsHeader() async throws {
        // 640x480 is 307,200 pixels; the workers here accept 100,000.
        let cluster = try ClusterHarness(workers: 1, environment: ["SEPIA_IMAGING_MAX_PIXELS": "100000"])
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client()
        let jpeg = try await Self.sampleJPEG(cluster.dataRoot)
        let put = try await client.call(oid: Array("big".utf8), className: "imgserv", method: "put", input: jpeg)
        #expect(put.rc == Errno.EFBIG.rc, "\(put)")
        #expect(put.error?.message.contains("over the limit of 100000 pixels") == true, "\(String(describing: put.error))")
        let stat = try await client.send(oid: Array("big".utf8), ops: [.stat], options: RequestOptions(readOnly: true))
        #expect(stat.rc == Errno.ENOENT.rc, "nothing stored")
        let thumb = try await client.exec(oid: Array("big".utf8), script: Self.script, handler: "thumb", input: jpeg)
        #expect(thumb.rc == Errno.EFBIG.rc, "\(thumb)")
    }
}
