// Sample images made on the spot (no network) for the demo and the thumbs benchmark.
import Foundation
import Imaging

enum SampleCorpus {
    /// Writes `count` JPEGs cycling through `sizes` (default: 4000x3000 and 1920x1080).
    static func generate(into directory: String, count: Int, sizes: [(width: Int, height: Int)]? = nil) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Imaging.configure(policyDirectory: nil)
        _ = try SampleImages.write(count: count, into: directory, sizes: sizes ?? SampleImages.defaultSizes)
    }

    /// Parses "640x480,1920x1080".
    static func parseSizes(_ text: String) -> [(width: Int, height: Int)]? {
        let sizes = text.split(separator: ",").compactMap { part -> (width: Int, height: Int)? in
            let wh = part.split(separator: "x")
            guard wh.count == 2, let w = Int(wh[0]), let h = Int(wh[1]), (16...20000).contains(w), (16...20000).contains(h) else { return nil }
            return (w, h)
        }
        return sizes.isEmpty || sizes.count != text.split(separator: ",").count ? nil : sizes
    }
}
