// Sample images made on the spot (no network) for the demo and the thumbs benchmark.
import Foundation
import Imaging

enum SampleCorpus {
    static func generate(into directory: String, count: Int) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Imaging.configure(policyDirectory: nil)
        try SampleImages.write(count: count, into: directory)
    }
}
