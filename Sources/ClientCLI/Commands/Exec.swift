// `sepia exec` and `sepia call`: run a handler next to an object.
import ArgumentParser
import Client
import Codec
import Foundation

/// Input, output and request flags shared by exec and call.
struct CallOptions: ParsableArguments {
    @Option(name: .long, help: "Input bytes given as text.")
    var input: String?
    @Option(name: .long, help: "Read the input from a file; `-` reads stdin.")
    var inputFile: String?
    @Option(name: .short, help: "Write the output bytes to this file instead of stdout.")
    var o: String?
    @Flag(name: .long, help: "Run read-only: every write fails with EROFS and nothing is committed.")
    var readOnly = false
    @Flag(name: .long, help: "Return the call's log lines (cls.log, print).")
    var logs = false
    @Flag(name: .long, help: "Print exactly one JSON object: rc, output_b64, error (and logs).")
    var json = false

    func validate() throws {
        if input != nil && inputFile != nil { throw ValidationError("give --input or --input-file, not both") }
    }

    func readInput() throws -> Bytes {
        if let input { return input == "-" ? try readStdin() : Array(input.utf8) }
        if let inputFile {
            if inputFile == "-" { return try readStdin() }
            guard let data = FileManager.default.contents(atPath: inputFile) else {
                throw CLIError.usage("cannot read --input-file \(inputFile)")
            }
            return Bytes(data)
        }
        return []
    }

    private func readStdin() throws -> Bytes { Bytes(FileHandle.standardInput.readDataToEndOfFile()) }

    var requestOptions: RequestOptions { RequestOptions(readOnly: readOnly, wantLogs: logs) }

    /// Prints the result: JSON, or the raw output bytes (and exit 1 on a negative rc).
    func report(_ what: String, _ result: CallResult) throws {
        if json {
            JSONOutput.print(JSONOutput.callResult(result, includeLogs: logs))
            return
        }
        if logs, let lines = result.logs {
            for line in lines { FileHandle.standardError.write(Data("log: \(line)\n".utf8)) }
        }
        if !result.output.isEmpty || o != nil {
            if let o {
                guard FileManager.default.createFile(atPath: o, contents: Data(result.output)) else {
                    throw CLIError.failed("cannot write \(o)")
                }
            } else {
                FileHandle.standardOutput.write(Data(result.output))
            }
        }
        if result.rc < 0 {
            throw CommandFailure(what, reply: Reply(id: 0, rc: result.rc, error: result.error))
        }
    }
}

struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Lua handler from a script file on one object.",
        discussion: """
        The script is a Ceph cls_lua script: it registers handlers with cls.register and each
        handler gets (input, output) bufferlists. The output bytes are printed as they are.
        On failure: one line on stderr and exit code 1; usage errors exit 2. With --json,
        exactly one JSON object and exit 0 whenever a reply came back.

        Examples:
          sepia exec counter ./counter.lua incr --input 5
          sepia exec photo.jpg ./classes/imgserv.lua thumb --input 256x256 -o small.jpg
          sepia exec doc ./report.lua summary --read-only --json --logs
        """)

    @Argument(help: "Object name.")
    var oid: String
    @Argument(help: "Lua script file.")
    var script: String
    @Argument(help: "Handler name (registered with cls.register).")
    var handler: String
    @OptionGroup var call: CallOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        guard let source = FileManager.default.contents(atPath: script) else {
            throw CommandFailure("exec", CLIError.usage("cannot read script \(script)"))
        }
        do {
            let input = try call.readInput()
            let client = try connection.makeClient()
            let result = try await client.exec(oid: Array(oid.utf8), script: Bytes(source), handler: handler,
                                               input: input, options: call.requestOptions)
            try call.report("exec", result)
        } catch {
            throw CommandFailure("exec", error)
        }
    }
}

struct Call: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call a method of an installed class (Lua class file or native) on one object.",
        discussion: """
        Installed classes: every *.lua file in the workers' classes folder (named after the
        file) and the native classes (hash.md5, hash.sha256).

        Examples:
          sepia call photo.jpg hash.sha256
          sepia call photo.jpg imgserv.thumb --input 128x128 -o thumb.jpg
        """)

    @Argument(help: "Object name.")
    var oid: String
    @Argument(help: "CLASS.METHOD, e.g. hash.sha256.")
    var method: String
    @OptionGroup var call: CallOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        let parts = method.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("expected CLASS.METHOD, got '\(method)'")
        }
    }

    func run() async throws {
        let parts = method.split(separator: ".", maxSplits: 1).map(String.init)
        do {
            let input = try call.readInput()
            let client = try connection.makeClient()
            let result = try await client.call(oid: Array(oid.utf8), className: parts[0], method: parts[1],
                                               input: input, options: call.requestOptions)
            try call.report("call", result)
        } catch {
            throw CommandFailure("call", error)
        }
    }
}
