// Fixtures: images made in the test, with the `convert` tool, in a temp dir per test.
import Codec
import Foundation
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["convert"] + arguments + [path]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "convert \(arguments) failed")
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
