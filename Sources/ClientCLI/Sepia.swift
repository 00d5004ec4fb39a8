// `sepia`: the command line of a Sepia cluster.
import ArgumentParser
import Foundation

@main
struct Sepia: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sepia",
        abstract: "Run Lua handlers next to your objects, and make thumbnails in bulk.",
        discussion: """
        Every command finds the local cluster started by `sepia cluster up` without
        configuration. Elsewhere: --broker, SEPIA_BROKER, or `client.broker` in the config file.

        Examples:
          sepia cluster up --workers 2 --detach
          sepia put photo.jpg ./photo.jpg
          sepia exec counter ./counter.lua incr --input 5
          sepia call photo.jpg hash.sha256
          sepia thumbs make --spec 256x256 --prefix img/
          sepia status
        """,
        version: "0.1.0",
        subcommands: [
            Cluster.self, Status.self, Exec.self, Call.self,
            Put.self, Get.self, Stat.self, Remove.self, List.self,
            Xattr.self, Omap.self, Thumbs.self, Bench.self, Keygen.self,
        ])

    /// Runs the command: the one error boundary of the CLI. Usage errors exit 2
    /// (ArgumentParser's default is 64), help and version exit 0, failures inside commands
    /// print one line and exit 1 (2 for a usage error found by the command itself).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("\(failure)\n".utf8))
            Foundation.exit(failure.exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                let message = fullMessage(for: error)
                FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
