// SampleImages: photo-like JPEGs for demos and benchmarks, made without the network.
import CMagickWand
import Codec
import Foundation

/// Generates JPEGs with smooth colour fields, hard-edged shapes and sensor-like noise, so
/// they decode and compress like photographs rather than like flat test cards.
public enum SampleImages {
    /// A 12 MP camera shot and a 1080p frame.
    public static let defaultSizes: [(width: Int, height: Int)] = [(4000, 3000), (1920, 1080)]

    /// Writes `count` JPEGs named `sample-0000.jpg`... into `directory` (created if needed),
    /// cycling through `sizes`. Every fourth image is stored sideways with EXIF orientation 6,
    /// as phones do. Shapes and colours follow the index (repeatable); the plasma and noise
    /// come from ImageMagick's random generator, so the bytes differ from run to run.
    /// - Returns: the paths written.
    @discardableResult
    public static func write(
        count: Int, into directory: String, sizes: [(width: Int, height: Int)] = defaultSizes, quality: Int = 88
    ) throws -> [String] {
        guard count >= 0, !sizes.isEmpty else {
            throw SepiaError(.EINVAL, .invalid, "sample images need a count >= 0 and at least one size")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try (0..<count).map { index in
            let size = sizes[index % sizes.count]
            let bytes = try jpeg(width: size.width, height: size.height, seed: UInt64(index),
                                 orientation: index % 4 == 3 ? 6 : nil, quality: quality)
            let path = directory + "/" + String(format: "sample-%04d.jpg", index)
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw SepiaError(.EIO, .storage, "cannot write \(path)")
            }
            return path
        }
    }

    /// One sample JPEG in memory.
    public static func jpeg(
        width: Int, height: Int, seed: UInt64, orientation: Int? = nil, quality: Int = 88
    ) throws -> Bytes {
        var random = SplitMix(seed: seed)
        // Plasma is slow per pixel, so make it at 1/16 and let the resize smooth it into
        // sky-like colour fields; the shapes and noise then add edges and texture.
        let canvas = try Image.generated(width: max(1, width / 16), height: max(1, height / 16), source: "plasma:")
        try canvas.resize(width: width, height: height)
        try canvas.draw { drawing in
            for _ in 0..<12 {
                let fill = NewPixelWand()
                defer { DestroyPixelWand(fill) }
                PixelSetColor(fill, String(format: "rgba(%d,%d,%d,0.7)",
                                           random.below(256), random.below(256), random.below(256)))
                DrawSetFillColor(drawing, fill)
                let (x, y) = (Double(random.below(width)), Double(random.below(height)))
                let r = Double(max(4, random.below(max(5, min(width, height) / 4))))
                if random.below(2) == 0 {
                    DrawCircle(drawing, x, y, x + r, y)
                } else {
                    DrawRectangle(drawing, x - r, y - r / 2, x + r, y + r / 2)
                }
            }
        }
        try canvas.addNoise(strength: 0.4)
        if let orientation { try canvas.setOrientation(orientation) }
        try canvas.setFormat("jpg")
        try canvas.setQuality(quality)
        return try canvas.blob()
    }
}

/// A small, seedable generator (SplitMix64) so shapes repeat per index on every platform.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }
}
