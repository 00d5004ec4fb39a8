// Finds and runs the `sepia-storage-tool` executable that the crash and permission tests
// drive. SwiftPM puts it next to the test bundle: `swift build --build-tests` (and
// `swift test`, which builds every target first) builds it before the tests run.
import Foundation

enum StorageToolBinary {
    /// The binary in the build products directory, or nil when it was not built.
    static let url: URL? = {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        // Tests/StorageTests/ThisFile.swift → package root → .build/debug
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug"))
        return candidates.map { $0.appendingPathComponent("sepia-storage-tool") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Runs the tool to completion (optionally through a wrapper such as `setpriv`) and
    /// returns its stdout.
    static func run(_ arguments: [String], via wrapper: [String] = []) throws -> String {
        guard let url else { throw CocoaError(.fileNoSuchFile) }
        let process = Process()
        let pipe = Pipe()
        if let first = wrapper.first {
            process.executableURL = URL(fileURLWithPath: first)
            process.arguments = Array(wrapper.dropFirst()) + [url.path] + arguments
        } else {
            process.executableURL = url
            process.arguments = arguments
        }
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }
}
