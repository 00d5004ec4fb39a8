// Where the local cluster's state lives, so every command finds it without configuration.
import Foundation

struct ClusterState: Codable {
    var pid: Int32
    var clientEndpoint: String
    var workerEndpoint: String
    var dataRoot: String
    var workers: Int
    var log: String?
}

enum LocalCluster {
    static let fallbackClientEndpoint = "tcp://127.0.0.1:7700"
    static let fallbackWorkerEndpoint = "tcp://127.0.0.1:7701"

    /// `$SEPIA_HOME`, else `~/.sepia`.
    static var home: URL {
        if let h = ProcessInfo.processInfo.environment["SEPIA_HOME"], !h.isEmpty {
            return URL(fileURLWithPath: h)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".sepia")
    }

    static var stateFile: URL { home.appendingPathComponent("cluster.json") }

    static func read() -> ClusterState? {
        guard let data = try? Data(contentsOf: stateFile),
              let state = try? JSONDecoder().decode(ClusterState.self, from: data) else { return nil }
        // A state file whose supervisor is gone is stale.
        return kill(state.pid, 0) == 0 ? state : nil
    }

    static func write(_ state: ClusterState) throws {
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: stateFile, options: .atomic)
    }

    static func remove() { try? FileManager.default.removeItem(at: stateFile) }

    static func defaultClientEndpoint() -> String { read()?.clientEndpoint ?? fallbackClientEndpoint }

    /// The folder holding `sepia`, `sepia-broker` and `sepia-osd`.
    static var binDirectory: URL {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        if CommandLine.arguments[0].contains("/") { return exe.deletingLastPathComponent() }
        if let path = Bundle.main.executableURL { return path.deletingLastPathComponent() }
        return exe.deletingLastPathComponent()
    }

    static func binary(_ name: String) -> URL { binDirectory.appendingPathComponent(name) }
}
