// put / get / stat / rm / ls: whole-object commands.
import ArgumentParser
import Client
import Codec
import Foundation

struct Put: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Store a file (or stdin) as an object's data, replacing what was there.",
        discussion: "Examples:\n  sepia put photo.jpg ./photo.jpg\n  echo hello | sepia put greeting -")
    @Argument(help: "Object name.") var oid: String
    @Argument(help: "File to upload, or - for stdin.") var file: String
    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let d = FileManager.default.contents(atPath: file) else {
                throw CommandFailure("put", CLIError.usage("cannot read \(file)"))
            }
            data = d
        }
        do {
            let client = try connection.makeClient()
            try await client.put(oid: Array(oid.utf8), data: Bytes(data))
            if output.json { JSONOutput.print(["rc": 0, "oid": oid, "size": data.count]) }
        } catch {
            throw CommandFailure("put", error)
        }
    }
}

struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print an object's data (binary-safe) or write it to a file.",
        discussion: "Examples:\n  sepia get photo.jpg -o copy.jpg\n  sepia get greeting")
    @Argument(help: "Object name.") var oid: String
    @Option(name: .short, help: "Write the data to this file.") var o: String?
    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        do {
            let client = try connection.makeClient()
            let data = try await client.get(oid: Array(oid.utf8))
            if output.json {
                JSONOutput.print(["rc": 0, "oid": oid, "size": data.count, "data_b64": Data(data).base64EncodedString()])
            } else if let o {
                guard FileManager.default.createFile(atPath: o, contents: Data(data)) else {
                    throw CLIError.failed("cannot write \(o)")
                }
            } else {
                FileHandle.standardOutput.write(Data(data))
            }
        } catch {
            throw CommandFailure("get", error)
        }
    }
}

struct Stat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show an object's size, modification time and version.",
        discussion: "Example:\n  sepia stat photo.jpg --json")
    @Argument(help: "Object name.") var oid: String
    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        do {
            let client = try connection.makeClient()
            let st = try await client.stat(oid: Array(oid.utf8))
            let seconds = Double(st.mtimeNanos) / 1e9
            let mtime = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds))
            if output.json {
                JSONOutput.print(["oid": oid, "size": Int(st.size), "mtime": mtime, "mtime_ns": Int(st.mtimeNanos), "version": Int(st.version)])
            } else {
                print("\(oid)  size \(st.size)  mtime \(mtime)  version \(st.version)")
            }
        } catch {
            throw CommandFailure("stat", error)
        }
    }
}

struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove an object (its data, xattrs and omap).",
        discussion: "Example:\n  sepia rm photo.jpg")
    @Argument(help: "Object name.") var oid: String
    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        do {
            let client = try connection.makeClient()
            try await client.remove(oid: Array(oid.utf8))
            if output.json { JSONOutput.print(["rc": 0, "oid": oid]) }
        } catch {
            throw CommandFailure("rm", error)
        }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List every object (across all shards), streamed page by page.",
        discussion: "Examples:\n  sepia ls\n  sepia ls --prefix img/ --json")
    @Option(name: .long, help: "Only names starting with this prefix.") var prefix = ""
    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        do {
            let client = try connection.makeClient()
            var all: [String] = []
            try await client.listObjects(prefix: Array(prefix.utf8)) { names in
                if output.json {
                    all += names.map(JSONOutput.text)
                } else {
                    var text = ""
                    for name in names { text += JSONOutput.text(name) + "\n" }
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
            }
            if output.json { JSONOutput.print(["objects": all.sorted(), "count": all.count]) }
        } catch {
            throw CommandFailure("ls", error)
        }
    }
}
