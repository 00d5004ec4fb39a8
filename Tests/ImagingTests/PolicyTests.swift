// The shipped ImageMagick policy is in force: caps and forbidden coders.
import CMagickWand
import Codec
import Imaging
import Testing

@Suite struct PolicyTests {
    @Test func shippedPolicyIsLoaded() throws {
        let folder = try Imaging.configure()
        #expect(folder.hasSuffix("config/imagemagick"))
        #expect(Imaging.policyDirectory == folder)
        #expect(try Imaging.resourceLimit(MemoryResource) == 1 << 30)
        #expect(try Imaging.resourceLimit(MapResource) == 1 << 30)
        // Pixel caches stay in memory: nothing spills to a file.
        #expect(try Imaging.resourceLimit(DiskResource) == 0)
        #expect(try Imaging.resourceLimit(ThreadResource) == 1)
        let width = try Imaging.resourceLimit(WidthResource), area = try Imaging.resourceLimit(AreaResource)
        #expect(width == 16384)
        #expect(area == 100_000_000)
        // ImageMagick 6's time limit is per process and fatal, so it must stay unset.
        let time = try Imaging.resourceLimit(TimeResource)
        #expect(time >= UInt64(Int64.max))  // "unlimited" (ImageMagick stores it as a signed maximum)
    }

    @Test func switchingPolicyAfterStartIsEBUSY() throws {
        try Imaging.configure()
        #expect(sepiaError { try Imaging.configure(policyDirectory: "/tmp") }?.rc == Errno.EBUSY.rc)
    }

    @Test(arguments: ["MVG", "SVG", "MSL", "PS", "EPS", "PDF", "XPS", "URL", "HTTPS", "TEXT", "LABEL"])
    func riskyCodersAreForbidden(coder: String) throws {
        #expect(try !Imaging.canRead(coder: coder))
    }

    @Test func rasterCodersAreAllowed() throws {
        for coder in ["JPEG", "PNG", "GIF", "WEBP"] { #expect(try Imaging.canRead(coder: coder)) }
    }

    @Test func svgBlobIsRefused() throws {
        let svg = Array(#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#.utf8)
        let error = sepiaError { _ = try Image.load(blob: svg) }
        #expect(error?.rc == Errno.EPERM.rc)
        #expect(error?.message.contains("security policy") == true)
    }

    @Test func encodingToAForbiddenFormatIsRefused() throws {
        let fx = try Fixtures(); defer { fx.remove() }
        let image = try Image.load(blob: fx.convert(["-size", "20x20", "xc:red"], output: "r.png"))
        let error = sepiaError {
            try image.setFormat("svg")
            _ = try image.blob()
        }
        #expect(error?.rc == Errno.EPERM.rc)
    }
}
