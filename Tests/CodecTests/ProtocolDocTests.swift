// docs/protocol.md and the codec cannot drift: the page's hex dumps must decode to the
// documented values and be byte-for-byte what the encoder writes, and every op kind and
// error kind must be on the page.
import Testing
import Foundation
import Codec

@Suite struct ProtocolDocTests {
    static let page: String = {
        // Tests/CodecTests/ProtocolDocTests.swift -> repository root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let url = root.appendingPathComponent("docs/protocol.md")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    /// The bytes of the fenced block opened by "```hex <label>".
    static func hexBlock(_ label: String) -> Bytes? {
        let lines = page.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: "```hex \(label)") else { return nil }
        var bytes = Bytes()
        for line in lines[(start + 1)...] {
            if line.hasPrefix("```") { return bytes }
            for token in line.split(separator: " ") {
                guard let byte = UInt8(token, radix: 16) else { return nil }
                bytes.append(byte)
            }
        }
        return nil
    }

    static func hex(_ bytes: Bytes) -> String {
        stride(from: 0, to: bytes.count, by: 16).map { start in
            bytes[start..<min(start + 16, bytes.count)].map { String(format: "%02x", $0) }.joined(separator: " ")
        }.joined(separator: "\n")
    }

    /// The example exchange the page shows.
    static let request = Request(
        client: Bytes(utf8: "cli1"), id: 7, oid: Bytes(utf8: "greeting"),
        ops: [.exec(script: .source(Bytes(utf8: "function hi(i, o) o:append('hi ' .. i:str()) end cls.register(hi)")),
                    handler: "hi", input: Bytes(utf8: "bob"))],
        timeoutMillis: 30_000)
    static let reply = Reply(id: 7, rc: 0, results: [.output(rc: 0, data: Bytes(utf8: "hi bob"))])

    @Test func exampleRequestDecodes() throws {
        let bytes = try #require(Self.hexBlock("request"), "docs/protocol.md lacks a ```hex request block")
        #expect(bytes == Self.request.encode(), "encoder output differs from the page:\n\(Self.hex(Self.request.encode()))")
        #expect(try Request.decode(bytes) == Self.request)
        #expect(try RequestHeader.peek(bytes).oid == Bytes(utf8: "greeting"))
    }

    @Test func exampleReplyDecodes() throws {
        let bytes = try #require(Self.hexBlock("reply"), "docs/protocol.md lacks a ```hex reply block")
        #expect(bytes == Self.reply.encode(), "encoder output differs from the page:\n\(Self.hex(Self.reply.encode()))")
        #expect(try Reply.decode(bytes) == Self.reply)
        #expect(try ReplyHeader.peek(bytes) == ReplyHeader(id: 7, rc: 0))
    }

    @Test func everyOpAndErrorKindIsDocumented() {
        for name in Op.kindNames { #expect(Self.page.contains("`\(name)`"), "op \(name) missing") }
        for kind in ErrorKind.allCases { #expect(Self.page.contains("`\(kind.rawValue)`"), "kind \(kind) missing") }
        for control in Fixtures.controls { #expect(Self.page.contains("`\(control.typeName)`")) }
        for errno in Errno.allCases { #expect(Self.page.contains(errno.name), "errno \(errno.name) missing") }
    }
}
