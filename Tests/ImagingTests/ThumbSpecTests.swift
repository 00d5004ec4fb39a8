// ThumbSpec: the size grammar and the pure size arithmetic, every form.
import Codec
import Imaging
import Testing

@Suite struct ThumbSpecTests {
    @Test(arguments: [
        ("256x256", ThumbSpec.Mode.fit(width: 256, height: 256)),
        ("300x200^", .fill(width: 300, height: 200)),
        ("300x200!", .exact(width: 300, height: 200)),
        ("100x100#", .crop(width: 100, height: 100)),
        ("50%", .scale(percent: 50)),
        ("12.5%", .scale(percent: 12.5)),
        ("640x", .width(640)),
        ("x480", .height(480)),
        ("16384x16384", .fit(width: 16384, height: 16384)),
        ("1x1!", .exact(width: 1, height: 1)),
    ])
    func parsesEveryForm(text: String, mode: ThumbSpec.Mode) throws {
        let spec = try ThumbSpec(text)
        #expect(spec.mode == mode)
        #expect(spec.description == text)
    }

    @Test(arguments: [
        "", "x", "%", "0x10", "10x0", "0%", "-5x10", "10x-5", "16385x10", "10x16385", "99999999999999999999x1",
        "1001%", "abc", "10x10foo", "10x10^!", "10X10", " 10x10", "10x10 ", "10xx10", "10", "1.5x10",
        "10x^", "x10#", "10x!", "1..5%", ".%", "+10x10", "10x10%", "0x0", "12%%",
    ])
    func rejectsBadSpecsQuotingThem(text: String) {
        let error = #expect(throws: SepiaError.self) { try ThumbSpec(text) }
        #expect(error?.rc == Errno.EINVAL.rc)
        #expect(error?.message.contains("\"\(text)\"") == true)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var spec: String, source: (Int, Int), resize: (Int, Int), crop: ThumbSpec.Plan.Crop?
        var testDescription: String { "\(spec) on \(source.0)x\(source.1)" }
    }

    @Test(arguments: [
        // Fit: the limiting side reaches the box, the other rounds to nearest.
        Case(spec: "256x256", source: (4000, 3000), resize: (256, 192), crop: nil),
        Case(spec: "256x256", source: (3000, 4000), resize: (192, 256), crop: nil),
        Case(spec: "256x256", source: (1920, 1080), resize: (256, 144), crop: nil),
        Case(spec: "256x256", source: (100, 50), resize: (256, 128), crop: nil),  // enlarges, as ImageMagick
        Case(spec: "256x256", source: (10000, 1), resize: (256, 1), crop: nil),   // never 0
        Case(spec: "200x100", source: (400, 200), resize: (200, 100), crop: nil),
        Case(spec: "100x100", source: (333, 1000), resize: (33, 100), crop: nil),
        // Fill: covers the box.
        Case(spec: "256x256^", source: (4000, 3000), resize: (341, 256), crop: nil),
        Case(spec: "256x256^", source: (3000, 4000), resize: (256, 341), crop: nil),
        Case(spec: "300x100^", source: (400, 400), resize: (300, 300), crop: nil),
        // Exact: aspect ignored.
        Case(spec: "300x200!", source: (4000, 3000), resize: (300, 200), crop: nil),
        // Crop: fill, then the centre.
        Case(spec: "100x100#", source: (400, 200), resize: (200, 100),
             crop: .init(x: 50, y: 0, width: 100, height: 100)),
        Case(spec: "100x100#", source: (200, 401), resize: (100, 201),
             crop: .init(x: 0, y: 50, width: 100, height: 100)),
        Case(spec: "160x90#", source: (4000, 3000), resize: (160, 120),
             crop: .init(x: 0, y: 15, width: 160, height: 90)),
        // Percent.
        Case(spec: "50%", source: (4000, 3000), resize: (2000, 1500), crop: nil),
        Case(spec: "12.5%", source: (1920, 1080), resize: (240, 135), crop: nil),
        Case(spec: "1%", source: (10, 10), resize: (1, 1), crop: nil),
        Case(spec: "200%", source: (300, 200), resize: (600, 400), crop: nil),
        // One side given.
        Case(spec: "640x", source: (1920, 1080), resize: (640, 360), crop: nil),
        Case(spec: "x480", source: (1920, 1080), resize: (853, 480), crop: nil),
        Case(spec: "x100", source: (1, 1000), resize: (1, 100), crop: nil),
    ])
    func plansSizes(c: Case) throws {
        let plan = try ThumbSpec(c.spec).plan(width: c.source.0, height: c.source.1)
        #expect(plan.resizeWidth == c.resize.0)
        #expect(plan.resizeHeight == c.resize.1)
        #expect(plan.crop == c.crop)
    }

    @Test func fitNeverExceedsTheBoxAndFillAlwaysCoversIt() throws {
        let fit = try ThumbSpec("97x61"), fill = try ThumbSpec("97x61^"), crop = try ThumbSpec("97x61#")
        for w in stride(from: 37, through: 3001, by: 37) {
            for h in stride(from: 41, through: 3001, by: 41) {
                let f = try fit.plan(width: w, height: h)
                #expect(f.resizeWidth <= 97 && f.resizeHeight <= 61)
                #expect(f.resizeWidth == 97 || f.resizeHeight == 61)
                let c = try fill.plan(width: w, height: h)
                #expect(c.resizeWidth >= 97 && c.resizeHeight >= 61)
                #expect(c.resizeWidth == 97 || c.resizeHeight == 61)
                let k = try crop.plan(width: w, height: h)
                #expect(k.outputWidth == 97 && k.outputHeight == 61)
                let box = try #require(k.crop)
                #expect(box.x >= 0 && box.y >= 0 && box.x + 97 <= k.resizeWidth && box.y + 61 <= k.resizeHeight)
            }
        }
    }

    @Test func outputsOverTheEdgeCapAreRefused() throws {
        let error = #expect(throws: SepiaError.self) { try ThumbSpec("1000%").plan(width: 4000, height: 3000) }
        #expect(error?.rc == Errno.EINVAL.rc)
        #expect(error?.message.contains("\"1000%\"") == true)
        #expect(throws: SepiaError.self) { try ThumbSpec("16384x").plan(width: 100, height: 200) }
        #expect(throws: SepiaError.self) { try ThumbSpec("10x10").plan(width: 0, height: 10) }
    }
}
