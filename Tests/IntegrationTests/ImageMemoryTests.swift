// Pixel memory through a real cluster. Issue seen: a 47 KB PNG of 7000x7000 (under max_pixels)
// decoded to ~400 MB outside the Lua memory cap, spilled to /tmp/magick-* files, and after a few
// of them every large decode on that worker failed. Now the decode's pixel memory is estimated
// from the header and refused (-ENOMEM) past what the call has left of its memory limit; an
// image a script holds counts against that limit; pixel caches never go to disk.
import Client
import Codec
import Foundation
import Spawn
import Testing

@Suite(.serialized, .timeLimit(.minutes(6))) struct ImageMemoryTests {
    static let script = Bytes("""
    function size(input, output)
      local img = magick.load_image_from_blob(input:str())
      output:append(img:get_width() .. "x" .. img:get_height())
    end
    function two(input, output)
      local a = magick.load_image_from_blob(input:str())
      local ok, rc, msg = pcall(magick.load_image_from_blob, input:str())
      output:append(tostring(ok) .. " " .. tostring(rc) .. ";")
      a:destroy()
      local b = magick.load_image_from_blob(input:str())
      output:append(b:get_width() .. "x" .. b:get_height())
    end
    function thumb(input, output)
      output:append(magick.thumb(input:str(), "64x64#"))
    end
    cls.register(size) cls.register(two) cls.register(thumb)
    """.utf8)

    /// A 7000x7000 PNG (about 15 KB; 49 MP, under the 50 MP cap; 490 MB of pixel cache at Q16).
    static func bigPNG(_ dir: URL) async throws -> Bytes {
        let path = dir.appendingPathComponent("big.png").path
        var env = ProcessInfo.processInfo.environment
        env["MAGICK_CONFIGURE_PATH"] = ClusterHarness.repoRoot.appendingPathComponent("config/imagemagick").path
        env["MAGICK_TEMPORARY_PATH"] = dir.path
        // The shipped policy keeps the pixel cache in memory: generating it writes no spill file.
        let convert = try Child.run("/usr/bin/env", ["convert", "-size", "7000x7000", "xc:gray", path],
                                    environment: env, killAfter: 120)
        try #require(convert.status == 0, "convert failed: \(convert.errors)")
        return Bytes(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func magickTempFiles() -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []).filter { $0.hasPrefix("magick-") })
    }

    /// Ten decodes in a row of an image over the call's memory (the default 64 MiB): each is
    /// refused from the header at once with ENOMEM naming the size, nothing is decoded, and
    /// the worker's memory stays where it was; the next normal thumbnail works.
    @Test func largeDecodesAreRefusedFromTheHeaderUnderTheCallsMemory() async throws {
        let cluster = try ClusterHarness(workers: 1, environment: ["SEPIA_LUA_TIME_LIMIT_MS": "5000"])
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client(timeout: .seconds(60), retries: 0)
        let png = try await Self.bigPNG(cluster.dataRoot)
        let jpeg = try await MagickModuleTests.sampleJPEG(cluster.dataRoot)
        let files = Self.magickTempFiles()
        _ = try await client.exec(oid: Array("warm".utf8), script: Self.script, handler: "thumb", input: jpeg)
        let before = RequestBoundsTests.residentKB(cluster)
        var peak = before
        let start = ContinuousClock.now
        for i in 0..<10 {
            let r = try await client.exec(oid: Array("big".utf8), script: Self.script, handler: "size", input: png)
            peak = max(peak, RequestBoundsTests.residentKB(cluster))
            #expect(r.rc == Errno.ENOMEM.rc, "decode \(i): \(r)")
            #expect(r.error?.message.contains("7000x7000") == true && r.error?.message.contains("pixel memory") == true,
                    "decode \(i): \(String(describing: r.error))")
        }
        let after = RequestBoundsTests.residentKB(cluster)
        print("image memory, 10 decodes of a \(png.count)-byte 7000x7000 PNG under the default cap: "
              + "\(ContinuousClock.now - start), worker RSS \(before) kB before, peak \(peak) kB, \(after) kB after")
        #expect(after < before + 50_000, "worker memory stays near \(before) kB: \(after) kB")
        #expect(Self.magickTempFiles().subtracting(files).isEmpty, "no pixel-cache files")
        try RequestBoundsTests.expectWorkersServe(cluster)
        let thumb = try await client.exec(oid: Array("small".utf8), script: Self.script, handler: "thumb", input: jpeg)
        #expect(thumb.rc == 0 && thumb.output.starts(with: [0xFF, 0xD8]), "\(thumb)")
    }

    /// Under a raised memory limit the same decodes succeed, in memory, again and again (the
    /// script never destroys its images), the worker's memory comes back near where it
    /// started and no pixel-cache file is written. Held images count: a second image that
    /// does not fit what the first left is refused, and fits once the first is destroyed.
    @Test func largeDecodesWithinARaisedLimitKeepWorkingAndAreCounted() async throws {
        let cluster = try ClusterHarness(workers: 1, environment: [
            "SEPIA_LUA_TIME_LIMIT_MS": "20000", "SEPIA_LUA_MEMORY_LIMIT_BYTES": String(1000 << 20),
            "SEPIA_IMAGING_MAX_DECODE_BYTES": String(900 << 20)])
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client(timeout: .seconds(120), retries: 0)
        let png = try await Self.bigPNG(cluster.dataRoot)
        let jpeg = try await MagickModuleTests.sampleJPEG(cluster.dataRoot)
        let files = Self.magickTempFiles()
        _ = try await client.exec(oid: Array("warm".utf8), script: Self.script, handler: "thumb", input: jpeg)
        let before = RequestBoundsTests.residentKB(cluster)
        let start = ContinuousClock.now
        for i in 0..<10 {
            let r = try await client.exec(oid: Array("big".utf8), script: Self.script, handler: "size", input: png)
            #expect(r.rc == 0 && String(decoding: r.output, as: UTF8.self) == "7000x7000", "decode \(i): \(r)")
        }
        let after = RequestBoundsTests.residentKB(cluster)
        print("image memory, 10 decodes of a 7000x7000 PNG under a 1000 MiB call limit: \(ContinuousClock.now - start), "
              + "worker RSS \(before) kB before, \(after) kB after")
        #expect(after < before + 150_000, "worker memory back near \(before) kB: \(after) kB")
        let two = try await client.exec(oid: Array("big".utf8), script: Self.script, handler: "two", input: png)
        #expect(two.rc == 0 && String(decoding: two.output, as: UTF8.self) == "false -12;7000x7000", "\(two)")
        #expect(Self.magickTempFiles().subtracting(files).isEmpty, "no pixel-cache files")
        try RequestBoundsTests.expectWorkersServe(cluster)
        let thumb = try await client.exec(oid: Array("small".utf8), script: Self.script, handler: "thumb", input: jpeg)
        #expect(thumb.rc == 0 && thumb.output.starts(with: [0xFF, 0xD8]), "\(thumb)")
    }
}
