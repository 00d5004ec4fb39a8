// Image+Generate: pixels made from nothing (pseudo-images, drawing, noise) for SampleImages.
// Internal: Lua users only load blobs.
import CMagickWand
import Codec

extension Image {
    /// An image from an ImageMagick pseudo-image such as "plasma:", "gradient:red-blue" or
    /// "xc:white" (built-in generators, no file or network access).
    static func generated(width: Int, height: Int, source: String) throws -> Image {
        let image = try Image()
        try image.check(MagickSetSize(image.wand, width, height), "set size")
        try image.check(MagickReadImage(image.wand, source), "generate \(source)")
        return image
    }

    /// Runs `body` on a fresh drawing and renders it onto the image.
    func draw(_ body: (OpaquePointer) -> Void) throws {
        guard let drawing = NewDrawingWand() else {
            throw SepiaError(.ENOMEM, .memory, "cannot allocate a DrawingWand")
        }
        defer { DestroyDrawingWand(drawing) }
        body(drawing)
        try check(MagickDrawImage(wand, drawing), "draw")
    }

    /// Adds Gaussian noise; `strength` scales it (ImageMagick's "attenuate", 1 = full).
    func addNoise(strength: Double) throws {
        try check(MagickSetImageArtifact(wand, "attenuate", "\(strength)"), "set noise strength")
        try check(MagickAddNoiseImage(wand, GaussianNoise), "add noise")
    }
}
