// Fixtures: images made in the test, with the `convert` tool, in a temp dir per test.
import Codec
import Foundation
import Spawn
import Imaging
import Testing

struct Fixtures {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "sepia-imaging-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Runs `convert ARGS... OUTPUT` and returns the output file's bytes.
    func convert(_ arguments: [String], output name: String) throws -> Bytes {
        let path = directory + "/" + name
        let r = try Child.run("/usr/bin/env", ["convert"] + arguments + [path], killAfter: 120)
        try #require(r.status == 0, "convert \(arguments) failed: \(r.errors)")
        return try Bytes(Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// The SepiaError a body throws, or a test failure.
func sepiaError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> SepiaError? {
    #expect(throws: SepiaError.self, sourceLocation: sourceLocation) { try body() }
}

/// Colour channels 0...1 near the expected ones (JPEG is lossy).
func near(_ pixel: (red: Double, green: Double, blue: Double, alpha: Double),
          _ red: Double, _ green: Double, _ blue: Double, within tolerance: Double = 0.12) -> Bool {
    abs(pixel.red - red) < tolerance && abs(pixel.green - green) < tolerance && abs(pixel.blue - blue) < tolerance
}

/// CRC-32 (PNG's) so tests can forge a PNG header.
func crc32(_ bytes: Bytes) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 0 ? 0 : 0xEDB8_8320) }
    }
    return ~crc
}

func bigEndian(_ value: UInt32) -> Bytes { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }

/// A PNG whose header declares `width` x `height` and whose pixel data is garbage.
func forgedPNG(width: UInt32, height: UInt32) -> Bytes {
    var ihdr = Array("IHDR".utf8) + bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
    ihdr = bigEndian(13) + ihdr + bigEndian(crc32(ihdr))
    let idat = Array("IDAT".utf8) + [1, 2, 3, 4]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + ihdr
        + bigEndian(4) + idat + bigEndian(crc32(idat)) + bigEndian(0) + Array("IEND".utf8) + bigEndian(crc32(Array("IEND".utf8)))
}

/// This process's resident set (VmRSS) in kB.
func residentKB() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

/// ImageMagick's pixel-cache spill files in the temp folder.
func magickTempFiles() -> Set<String> {
    Set(((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []).filter { $0.hasPrefix("magick-") })
}
