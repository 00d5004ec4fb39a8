// xattr and omap commands: small key/value views of one object.
import ArgumentParser
import Client
import Codec
import Foundation

/// Runs ops on one object and prints the result as text or JSON; failures throw.
struct ObjectCommandRunner {
    let what: String
    let oid: String
    let connection: ConnectionOptions
    let json: Bool

    func run(_ ops: [Op], readOnly: Bool = false, render: ([OpResult]) -> (text: String?, json: [String: Any])) async throws {
        do {
            let client = try connection.makeClient()
            let results = try await client.perform(oid: Array(oid.utf8), ops: ops, options: RequestOptions(readOnly: readOnly))
            let shown = render(results)
            if json {
                var doc = shown.json
                doc["rc"] = 0
                doc["oid"] = oid
                JSONOutput.print(doc)
            } else if let text = shown.text {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        } catch {
            throw CommandFailure(what, error)
        }
    }

    static func entries(_ results: [OpResult]) -> [KeyValue] {
        if case .entries(let list, _)? = results.last { return list }
        return []
    }

    static func table(_ list: [KeyValue]) -> (String, [String: Any]) {
        var text = ""
        var doc: [String: Any] = [:]
        for e in list {
            text += "\(JSONOutput.text(e.key))\t\(JSONOutput.text(e.value))\n"
            doc[JSONOutput.text(e.key)] = JSONOutput.text(e.value)
        }
        return (text, doc)
    }

    static func data(_ results: [OpResult]) -> Bytes {
        if case .data(let d)? = results.last { return d }
        return []
    }
}

struct Xattr: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Get, set, remove or list an object's extended attributes.",
        discussion: """
        Examples:
          sepia xattr set photo.jpg owner alice
          sepia xattr get photo.jpg owner
          sepia xattr ls photo.jpg --json
        """,
        subcommands: [XGet.self, XSet.self, XRm.self, XLs.self])

    struct XGet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print one attribute's value.")
        @Argument(help: "Object name.") var oid: String
        @Argument(help: "Attribute name.") var name: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            try await ObjectCommandRunner(what: "xattr get", oid: oid, connection: connection, json: output.json)
                .run([.getXattr(name: Array(name.utf8))], readOnly: true) { r in
                    let v = ObjectCommandRunner.data(r)
                    var doc: [String: Any] = ["name": name]
                    JSONOutput.bytesField("value", v, into: &doc)
                    return (String(decoding: v, as: UTF8.self) + "\n", doc)
                }
        }
    }

    struct XSet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set an attribute (creates the object).")
        @Argument(help: "Object name.") var oid: String
        @Argument(help: "Attribute name.") var name: String
        @Argument(help: "Value.") var value: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            try await ObjectCommandRunner(what: "xattr set", oid: oid, connection: connection, json: output.json)
                .run([.setXattr(name: Array(name.utf8), value: Array(value.utf8))]) { _ in (nil, ["name": name]) }
        }
    }

    struct XRm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an attribute.")
        @Argument(help: "Object name.") var oid: String
        @Argument(help: "Attribute name.") var name: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            try await ObjectCommandRunner(what: "xattr rm", oid: oid, connection: connection, json: output.json)
                .run([.rmXattr(name: Array(name.utf8))]) { _ in (nil, ["name": name]) }
        }
    }

    struct XLs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List attributes and values.")
        @Argument(help: "Object name.") var oid: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            try await ObjectCommandRunner(what: "xattr ls", oid: oid, connection: connection, json: output.json)
                .run([.getXattrs], readOnly: true) { r in
                    let (text, doc) = ObjectCommandRunner.table(ObjectCommandRunner.entries(r))
                    return (text, ["xattrs": doc])
                }
        }
    }
}

struct Omap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with an object's omap: sorted keys with values, and a header.",
        discussion: """
        Examples:
          sepia omap set photo.jpg 256x256 42:1300
          sepia omap get photo.jpg 256x256
          sepia omap ls photo.jpg --prefix 2 --max 10
          sepia omap header photo.jpg            (print)   sepia omap header photo.jpg v1   (set)
        """,
        subcommands: [OGet.self, OSet.self, ORm.self, OLs.self, OClear.self, OHeader.self])

    struct OGet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print the values of keys.")
        @Argument(help: "Object name.") var oid: String
        @Argument(help: "Keys.") var keys: [String]
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            try await ObjectCommandRunner(what: "omap get", oid: oid, connection: connection, json: output.json)
                .run([.omapGetValsByKeys(keys: keys.map { Array($0.utf8) })], readOnly: true) { r in
                    let list = ObjectCommandRunner.entries(r)
                    let (_, doc) = ObjectCommandRunner.table(list)
                    let text = keys.count == 1 ? list.first.map { JSONOutput.text($0.value) + "\n" } ?? "" : ObjectCommandRunner.table(list).0
                    return (text, ["values": doc])
                }
        }
    }

    struct OSet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set a key (creates the object).")
        @Argument(help: "Object name.") var oid: String
        @Argument(help: "Key.") var key: String
        @Argument(help: "Value.") var value: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            try await ObjectCommandRunner(what: "omap set", oid: oid, connection: connection, json: output.json)
                .run([.omapSet(entries: [KeyValue(Array(key.utf8), Array(value.utf8))])]) { _ in (nil, ["key": key]) }
        }
    }

    struct ORm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove keys.")
        @Argument(help: "Object name.") var oid: String
        @Argument(help: "Keys.") var keys: [String]
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            try await ObjectCommandRunner(what: "omap rm", oid: oid, connection: connection, json: output.json)
                .run([.omapRemoveKeys(keys: keys.map { Array($0.utf8) })]) { _ in (nil, ["keys": keys]) }
        }
    }

    struct OLs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List keys and values in key order.")
        @Argument(help: "Object name.") var oid: String
        @Option(name: .long, help: "Only keys with this prefix.") var prefix = ""
        @Option(name: .long, help: "Start strictly after this key.") var after = ""
        @Option(name: .long, help: "At most this many entries.") var max: UInt64 = 1000
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            try await ObjectCommandRunner(what: "omap ls", oid: oid, connection: connection, json: output.json)
                .run([.omapGetVals(startAfter: Array(after.utf8), prefix: Array(prefix.utf8), max: max)], readOnly: true) { r in
                    var more = false
                    if case .entries(_, let m)? = r.last { more = m }
                    let (text, doc) = ObjectCommandRunner.table(ObjectCommandRunner.entries(r))
                    return (text, ["entries": doc, "more": more])
                }
        }
    }

    struct OClear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "clear", abstract: "Remove every key.")
        @Argument(help: "Object name.") var oid: String
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            try await ObjectCommandRunner(what: "omap clear", oid: oid, connection: connection, json: output.json)
                .run([.omapClear]) { _ in (nil, [:]) }
        }
    }

    struct OHeader: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "header", abstract: "Print the omap header, or set it when a value is given.")
        @Argument(help: "Object name.") var oid: String
        @Argument(help: "New header value.") var value: String?
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            let runner = ObjectCommandRunner(what: "omap header", oid: oid, connection: connection, json: output.json)
            if let value {
                try await runner.run([.omapSetHeader(data: Array(value.utf8))]) { _ in (nil, [:]) }
            } else {
                try await runner.run([.omapGetHeader], readOnly: true) { r in
                    let v = ObjectCommandRunner.data(r)
                    var doc: [String: Any] = [:]
                    JSONOutput.bytesField("header", v, into: &doc)
                    return (String(decoding: v, as: UTF8.self) + "\n", doc)
                }
            }
        }
    }
}
