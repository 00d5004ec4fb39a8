// Finds and runs the `sepia-storage-tool` executable that the crash and permission tests
// drive. SwiftPM puts it next to the test bundle: `swift build --build-tests` (and
// `swift test`, which builds every target first) builds it before the tests run.
import Foundation
import Spawn

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
        let command = wrapper.isEmpty ? [url.path] + arguments : wrapper + [url.path] + arguments
        return try Child.run(command[0], Array(command.dropFirst())).text
    }
}
