// Image and Imaging.thumb on real encoded files: orientation, alpha, progressive, CMYK,
// corrupt and over-limit input, metadata stripping, the decode hint.
import Codec
import Foundation
import Imaging
import Testing

@Suite struct ImageTests {
    @Test func thumbKeepsJPEGAndFitsTheBox() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let source = try fx.convert(["-size", "800x600", "gradient:red-blue"], output: "g.jpg")
        let out = try Imaging.thumb(blob: source, spec: "256x256")
        let image = try Image.load(blob: out)
        #expect((image.width, image.height) == (256, 192))
        #expect(image.format == "JPEG")
    }

    @Test func everySpecFormGivesItsSize() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let source = try fx.convert(["-size", "400x200", "gradient:red-blue"], output: "g.png")
        for (spec, size) in [("100x100", (100, 50)), ("100x100^", (200, 100)), ("100x100!", (100, 100)),
                             ("100x100#", (100, 100)), ("25%", (100, 50)), ("80x", (80, 40)), ("x50", (100, 50))] {
            let image = try Image.load(blob: Imaging.thumb(blob: source, spec: spec))
            #expect((image.width, image.height) == size, "\(spec)")
            #expect(image.format == "PNG")
        }
    }

    @Test func exifRotatedJPEGComesOutUpright() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        // Stored 400x200: red left half, blue right half; orientation 6 = turn 90° clockwise.
        let stored = try Image.load(blob: fx.convert(["-size", "200x200", "xc:red", "xc:blue", "+append"], output: "s.jpg"))
        try stored.setOrientation(6)
        let rotated = try stored.blob()
        #expect(try Image.load(blob: rotated).orientation == 6)

        let image = try Image.load(blob: Imaging.thumb(blob: rotated, spec: "100x200"))
        #expect((image.width, image.height) == (100, 200))
        #expect(near(try image.pixel(x: 50, y: 30), 1, 0, 0))   // left became top
        #expect(near(try image.pixel(x: 50, y: 170), 0, 0, 1))  // right became bottom
        #expect(image.orientation <= 1)
        #expect(image.profileNames.isEmpty)
    }

    @Test func alphaPNGToJPEGIsFlattenedOnWhite() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let png = try fx.convert(["-size", "100x100", "xc:none", "-fill", "red", "-draw", "rectangle 0,0 49,99"],
                                 output: "a.png")
        #expect(try Image.load(blob: png).hasAlpha)
        let image = try Image.load(blob: Imaging.thumb(blob: png, spec: "100x100", format: "jpg"))
        #expect(image.format == "JPEG")
        #expect(!image.hasAlpha)
        #expect(near(try image.pixel(x: 20, y: 50), 1, 0, 0))
        #expect(near(try image.pixel(x: 80, y: 50), 1, 1, 1))
    }

    @Test func progressiveJPEGDecodes() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let jpeg = try fx.convert(["-size", "800x600", "gradient:red-blue", "-interlace", "Plane"], output: "p.jpg")
        let image = try Image.load(blob: Imaging.thumb(blob: jpeg, spec: "200x200"))
        #expect((image.width, image.height) == (200, 150))
    }

    @Test func cmykJPEGBecomesSRGB() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let cmyk = try fx.convert(["-size", "300x200", "xc:red", "-colorspace", "CMYK"], output: "c.jpg")
        let image = try Image.load(blob: Imaging.thumb(blob: cmyk, spec: "150x100"))
        // Read back as CMYK, the first channel would be cyan (0), not red (1).
        #expect(near(try image.pixel(x: 75, y: 50), 1, 0, 0))
    }

    @Test func corruptInputIsEINVALWithMagickWandsMessage() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        var random = SystemRandomNumberGenerator()
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }
        let error = sepiaError { _ = try Image.load(blob: noise) }
        #expect(error?.rc == Errno.EINVAL.rc)
        #expect(error?.kind == .image)
        #expect(error?.message.isEmpty == false)

        let jpeg = try fx.convert(["-size", "640x480", "plasma:"], output: "t.jpg")
        let half = Bytes(jpeg.prefix(jpeg.count / 2))
        let truncated = sepiaError { _ = try Imaging.thumb(blob: half, spec: "100x100") }
        #expect(truncated?.rc == Errno.EINVAL.rc)
        #expect(truncated?.message.lowercased().contains("premature end") == true)

        #expect(sepiaError { _ = try Image.load(blob: []) }?.rc == Errno.EINVAL.rc)
    }

    @Test func timeLimitStopsWorkWithETIMEDOUT() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let jpeg = try fx.convert(["-size", "800x600", "gradient:red-blue"], output: "d.jpg")
        // A limit already past when the first row is decoded: deterministic, no sleeping.
        let error = sepiaError { _ = try Imaging.thumb(blob: jpeg, spec: "100x100", timeLimit: .zero) }
        #expect(error?.rc == Errno.ETIMEDOUT.rc)
        #expect(error?.kind == .timeout)
        #expect(try Image.load(blob: Imaging.thumb(blob: jpeg, spec: "100x100", timeLimit: .seconds(60))).width == 100)
    }

    @Test func overLimitImageIsRefusedFromTheHeader() throws {
        // A PNG whose IHDR says 10000x10000 and whose pixel data is garbage: EFBIG (not
        // EINVAL) shows the refusal came from the header, before decoding.
        let png = forgedPNG(width: 10000, height: 10000)
        let error = sepiaError { _ = try Imaging.thumb(blob: png, spec: "256x256", maxPixels: 50_000_000) }
        #expect(error?.rc == Errno.EFBIG.rc)
        #expect(error?.kind == .limit)
        #expect(error?.message.contains("10000x10000") == true)

        let fx = try Fixtures(); defer { fx.remove() }
        let small = try fx.convert(["-size", "300x200", "xc:gray"], output: "s.png")
        #expect(sepiaError { _ = try Image.load(blob: small, maxPixels: 59_999) }?.rc == Errno.EFBIG.rc)
        #expect(try Image.load(blob: small, maxPixels: 60_000).width == 300)
    }

    /// Sides above the policy's 16384 make libpng stop without a message; the refusal must
    /// still be the pixel cap's, naming the size, like that of a bomb with smaller sides.
    @Test(arguments: [12000, 20000, 70000])
    func imageBombGetsThePixelCapMessage(side: Int) throws {
        let error = sepiaError { _ = try Imaging.thumb(blob: forgedPNG(width: UInt32(side), height: UInt32(side)), spec: "256x256") }
        #expect(error?.rc == Errno.EFBIG.rc)
        #expect(error?.kind == .limit)
        #expect(error?.message.contains("\(side)x\(side)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("over the limit of 50000000 pixels") == true, "\(String(describing: error))")
        // Under the pixel cap but over the side limit: EFBIG naming the side limit.
        let long = forgedPNG(width: UInt32(side), height: 1)
        if side > 16384 {
            let refused = sepiaError { _ = try Image.probe(blob: long) }
            #expect(refused?.rc == Errno.EFBIG.rc)
            #expect(refused?.message.contains("over the limit of 16384 pixels a side") == true, "\(String(describing: refused))")
        } else {
            #expect(try Image.probe(blob: long).width == side)
        }
    }

    /// A 7000x7000 PNG is 49 MP, under the pixel cap, and 490 MB of pixel cache decoded (10
    /// bytes a pixel at Q16): over the default decode bound it is refused from the header with
    /// ENOMEM, at once; under a raised bound it decodes in memory. Either way, one after another:
    /// every decode behaves the same, the memory comes back, and no pixel-cache file is written.
    @Test func repeatedLargeDecodesKeepWorking() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let png = try fx.convert(["-size", "7000x7000", "xc:gray"], output: "big.png")
        let before = residentKB(), files = magickTempFiles()
        for i in 0..<10 {
            let refused = sepiaError { _ = try Imaging.thumb(blob: png, spec: "256x256") }
            #expect(refused?.rc == Errno.ENOMEM.rc, "decode \(i): \(String(describing: refused))")
            #expect(refused?.message.contains("7000x7000") == true && refused?.message.contains("pixel memory") == true,
                    "\(String(describing: refused))")
        }
        #expect(residentKB() < before + 50_000, "nothing decoded: resident memory stays near \(before) kB")
        for i in 0..<4 {
            let thumb = try Imaging.thumb(blob: png, spec: "256x256", maxBytes: 900 << 20)
            #expect(try Image.load(blob: thumb).width == 256, "decode \(i)")
        }
        // The process's cache (1 GiB over all live images, no disk) holds one of them (490 MB,
        // 882 MB at the decode's peak); a second is refused up front, with a message, and fits
        // once the first is released.
        var held = [try Image.load(blob: png, maxBytes: 900 << 20)]
        let second = sepiaError { _ = try Image.load(blob: png, maxBytes: 900 << 20) }
        #expect(second?.rc == Errno.EFBIG.rc && second?.message.contains("process-wide pixel cache") == true,
                "\(String(describing: second))")
        held.removeLast()  // frees its cache
        held.append(try Image.load(blob: png, maxBytes: 900 << 20))
        #expect(held.allSatisfy { $0.width == 7000 })
        held.removeAll()
        #expect(residentKB() < before + 100_000, "resident memory back near \(before) kB")
        #expect(magickTempFiles().subtracting(files).isEmpty, "no pixel-cache files left")
    }

    /// The estimate is the header's: all frames at 10 bytes a pixel, a JPEG told a smaller
    /// size at the DCT scale libjpeg will use; resizes and crops are checked against the
    /// image's allowance before ImageMagick allocates.
    @Test func pixelMemoryIsEstimatedFromTheHeader() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let png = try fx.convert(["-size", "400x300", "xc:red"], output: "e.png")
        #expect(Image.bytesPerPixel == 10 && Image.decodeBytesPerPixel == 18)
        let peak = 400 * 300 * Image.decodeBytesPerPixel
        #expect(sepiaError { _ = try Image.load(blob: png, maxBytes: peak - 1) }?.rc == Errno.ENOMEM.rc)
        let image = try Image.load(blob: png, maxBytes: peak)
        #expect(image.pixelBytes == 400 * 300 * Image.bytesPerPixel)
        image.pixelAllowance = 1_000
        let resize = sepiaError { try image.resize(width: 200, height: 150) }
        #expect(resize?.rc == Errno.ENOMEM.rc && resize?.message.contains("resizing 400x300 to 200x150") == true,
                "\(String(describing: resize))")
        #expect(sepiaError { try image.crop(width: 100, height: 100, x: 0, y: 0) }?.rc == Errno.ENOMEM.rc)
        image.pixelAllowance = nil
        try image.resize(width: 200, height: 150)
        #expect(image.width == 200)
        // A 1600x1200 JPEG told 200x150 decodes at 1/8: 200x150 pixels, not 1600x1200.
        let jpeg = try fx.convert(["-size", "1600x1200", "gradient:red-blue"], output: "e.jpg")
        let scaled = try Image.load(blob: jpeg, maxBytes: 200 * 150 * 10, sizeHint: (width: 200, height: 150))
        #expect(scaled.width == 200)
        #expect(sepiaError { _ = try Image.load(blob: jpeg, maxBytes: 200 * 150 * 10) }?.rc == Errno.ENOMEM.rc)
        // A forged header is refused before any decoding, with the size it declares.
        let forged = sepiaError { _ = try Imaging.thumb(blob: forgedPNG(width: 6000, height: 6000), spec: "64x64") }
        #expect(forged?.rc == Errno.ENOMEM.rc && forged?.message.contains("6000x6000") == true, "\(String(describing: forged))")
    }

    @Test func metadataIsStripped() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let jpeg = try fx.convert(["-size", "400x300", "gradient:", "-set", "comment", "secret"], output: "m.jpg")
        let tagged = try Image.load(blob: jpeg)
        try tagged.setOrientation(1)
        let source = try tagged.blob()
        #expect(try Image.load(blob: source).profileNames.contains("exif"))
        let out = try Imaging.thumb(blob: source, spec: "100x100")
        #expect(try Image.load(blob: out).profileNames.isEmpty)
        #expect(!String(decoding: out, as: UTF8.self).contains("secret"))
        #expect(!String(decoding: out, as: UTF8.self).contains("Exif"))
    }

    @Test func decodeHintScalesJPEGDecoding() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let jpeg = try fx.convert(["-size", "1600x1200", "gradient:red-blue"], output: "h.jpg")
        #expect(try Image.load(blob: jpeg, sizeHint: (width: 200, height: 150)).width == 200)  // 1/8
        #expect(try Image.load(blob: jpeg, sizeHint: (width: 500, height: 300)).width == 600)  // 3/8
        #expect(try Image.load(blob: jpeg, sizeHint: (width: 4000, height: 3000)).width == 1600)
        #expect(try Image.load(blob: jpeg).width == 1600)
    }

    @Test func operationsMirrorLeafoMagick() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let image = try Image.load(blob: fx.convert(["-size", "400x300", "xc:red"], output: "o.png"))
        try image.resize(width: 200, height: 150)
        try image.crop(width: 100, height: 50, x: 10, y: 20)
        #expect((image.width, image.height) == (100, 50))
        try image.setFormat("jpg")
        try image.setQuality(70)
        let out = try Image.load(blob: image.blob())
        #expect(out.format == "JPEG" && out.width == 100)
        #expect(sepiaError { try image.setQuality(0) }?.rc == Errno.EINVAL.rc)
        #expect(sepiaError { try image.resize(width: 0, height: 10) }?.rc == Errno.EINVAL.rc)
        #expect(sepiaError { try image.crop(width: 10, height: 10, x: 500, y: 0) }?.rc == Errno.EINVAL.rc)
    }

    @Test func animatedGIFKeepsItsFirstFrame() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let gif = try fx.convert(["-size", "100x80", "xc:red", "xc:blue", "xc:green", "-loop", "0"], output: "a.gif")
        let out = try Imaging.thumb(blob: gif, spec: "50x50")
        let image = try Image.load(blob: out)
        #expect(image.format == "GIF")
        #expect((image.width, image.height) == (50, 40))
        #expect(near(try image.pixel(x: 25, y: 20), 1, 0, 0))
    }

    @Test func threadsMakeThumbnailsAtOnce() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let jpeg = try fx.convert(["-size", "640x480", "gradient:red-blue"], output: "c.jpg")
        let sizes = Sizes()
        // Worker threads each own their images; nothing is shared but the process's caches.
        DispatchQueue.concurrentPerform(iterations: 8) { lane in
            let out = try? Imaging.thumb(blob: jpeg, spec: "\(64 + lane)x")
            sizes.record(out.flatMap { try? Image.load(blob: $0).width } ?? 0)
        }
        #expect(sizes.sorted == Array(64..<72))
    }

    @Test func sampleImagesAreJPEGsSomeSideways() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let paths = try SampleImages.write(count: 4, into: fx.directory + "/samples", sizes: [(320, 240), (160, 90)])
        #expect(paths.count == 4)
        for (index, path) in paths.enumerated() {
            let image = try Image.load(blob: Bytes(FileManager.default.contents(atPath: path) ?? Data()))
            #expect(image.format == "JPEG")
            #expect(image.width == (index % 2 == 0 ? 320 : 160))
            #expect(image.orientation == (index == 3 ? 6 : 0) || (index != 3 && image.orientation == 1))
        }
    }
}

/// Widths recorded from several threads.
///
/// `@unchecked Sendable`: `values` is only touched while `lock` is held.
private final class Sizes: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int] = []
    func record(_ value: Int) { lock.withLock { values.append(value) } }
    var sorted: [Int] { lock.withLock { values.sorted() } }
}

