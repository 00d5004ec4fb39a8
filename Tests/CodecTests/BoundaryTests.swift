// Round trips at every msgpack format boundary, checking the format byte chosen on each side.
import Testing
import Codec

@Suite struct BoundaryTests {
    /// Encodes, checks the first (format) byte, decodes back.
    private func roundTrip(_ value: MsgPackValue, format: UInt8, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = value.encode()
        #expect(bytes.first == format, "format byte", sourceLocation: sourceLocation)
        #expect(try MsgPackValue.decode(bytes) == value, sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        (0, 0xa0), (1, 0xa1), (31, 0xbf), (32, 0xd9), (255, 0xd9), (256, 0xda), (65535, 0xda), (65536, 0xdb),
    ] as [(Int, UInt8)])
    func strLengths(_ length: Int, _ format: UInt8) throws {
        try roundTrip(.string(Bytes(repeating: 0x61, count: length)), format: format)
    }

    @Test(arguments: [
        (0, 0xc4), (1, 0xc4), (255, 0xc4), (256, 0xc5), (65535, 0xc5), (65536, 0xc6), (70_000, 0xc6),
    ] as [(Int, UInt8)])
    func binLengths(_ length: Int, _ format: UInt8) throws {
        try roundTrip(.binary(Bytes(repeating: 7, count: length)), format: format)
    }

    @Test(arguments: [
        (0, 0x90), (15, 0x9f), (16, 0xdc), (65535, 0xdc), (65536, 0xdd),
    ] as [(Int, UInt8)])
    func arrayCounts(_ count: Int, _ format: UInt8) throws {
        try roundTrip(.array(Array(repeating: .nil, count: count)), format: format)
    }

    @Test(arguments: [
        (0, 0x80), (15, 0x8f), (16, 0xde), (65535, 0xde), (65536, 0xdf),
    ] as [(Int, UInt8)])
    func mapCounts(_ count: Int, _ format: UInt8) throws {
        try roundTrip(.map((0..<count).map { (.uint(UInt64($0)), .bool($0 % 2 == 0)) }), format: format)
    }

    @Test(arguments: [
        (0, 0xd4), (1, 0xd4), (2, 0xd5), (4, 0xd6), (8, 0xd7), (16, 0xd8), (3, 0xc7), (255, 0xc7),
        (256, 0xc8), (65535, 0xc8), (65536, 0xc9),
    ] as [(Int, UInt8)])
    func extLengths(_ length: Int, _ format: UInt8) throws {
        // msgpack-c packs a 0-byte ext as ext8; fixext needs 1, 2, 4, 8 or 16 bytes.
        let expected: UInt8 = length == 0 ? 0xc7 : format
        try roundTrip(.ext(type: -3, data: Bytes(repeating: 1, count: length)), format: expected)
    }

    @Test(arguments: [
        (0, 0x00), (127, 0x7f), (128, 0xcc), (255, 0xcc), (256, 0xcd), (65535, 0xcd), (65536, 0xce),
        (UInt64(UInt32.max), 0xce), (UInt64(UInt32.max) + 1, 0xcf), (UInt64.max, 0xcf),
    ] as [(UInt64, UInt8)])
    func unsignedWidths(_ value: UInt64, _ format: UInt8) throws {
        try roundTrip(.uint(value), format: format)
    }

    @Test(arguments: [
        (-1, 0xff), (-32, 0xe0), (-33, 0xd0), (-128, 0xd0), (-129, 0xd1), (-32768, 0xd1), (-32769, 0xd2),
        (Int64(Int32.min), 0xd2), (Int64(Int32.min) - 1, 0xd3), (Int64.min, 0xd3),
    ] as [(Int64, UInt8)])
    func negativeWidths(_ value: Int64, _ format: UInt8) throws {
        try roundTrip(.int(value), format: format)
    }

    @Test func nonNegativeSignedIntegersDecodeAsUnsigned() throws {
        // msgpack has one integer family: the encoder picks the smallest format.
        #expect(try MsgPackValue.decode(MsgPackValue.int(5).encode()) == .uint(5))
        #expect(try MsgPackValue.decode(MsgPackValue.int(Int64.max).encode()) == .uint(UInt64(Int64.max)))
        // A signed format carrying a positive value (other encoders do this) reads as uint.
        #expect(try MsgPackValue.decode([0xd0, 0x05]) == .uint(5))
        #expect(try MsgPackValue.decode([0xd3, 0, 0, 0, 0, 0, 0, 1, 0]) == .uint(256))
    }

    @Test(arguments: [0.0, -0.0, 1.5, -1e300, .infinity, -.infinity, .nan, .greatestFiniteMagnitude,
                      .leastNonzeroMagnitude, .pi])
    func floats(_ value: Double) throws {
        try roundTrip(.float(value), format: 0xcb)
    }

    @Test func float32IsReadAsDouble() throws {
        #expect(try MsgPackValue.decode([0xca, 0x3f, 0xc0, 0x00, 0x00]) == .float(1.5))
    }

    @Test func scalarsAndNesting() throws {
        try roundTrip(.nil, format: 0xc0)
        try roundTrip(.bool(false), format: 0xc2)
        try roundTrip(.bool(true), format: 0xc3)
        try roundTrip(.array([.map([(.string("k"), .array([.binary([1]), .ext(type: 5, data: [2])]))])]),
                      format: 0x91)
    }

    /// The same boundaries inside real messages: object names, payloads, op lists, omap sizes.
    @Test(arguments: [0, 31, 32, 255, 256, 65535, 65536])
    func requestFieldSizes(_ n: Int) throws {
        let name = Bytes(repeating: 0x6f, count: n)
        let request = Request(client: name, id: UInt64(n), oid: name,
                              ops: [.writeFull(data: name), .exec(script: .source(name), handler: String(repeating: "h", count: n), input: name)],
                              timeoutMillis: UInt64(n))
        #expect(try Request.decode(request.encode()) == request)
        #expect(try RequestHeader.peek(request.encode()).oid == name)
    }

    @Test(arguments: [0, 15, 16, 65535, 65536])
    func requestAndReplyCounts(_ n: Int) throws {
        let entries = (0..<n).map { KeyValue(Bytes(utf8: String($0)), []) }
        let keys = entries.map(\.key)
        let request = Request(id: 1, oid: [1], ops: [.omapSet(entries: entries), .omapRemoveKeys(keys: keys)]
                              + Array(repeating: .stat, count: min(n, 16)))
        #expect(try Request.decode(request.encode()) == request)
        let reply = Reply(id: 1, rc: 0, results: [.entries(entries, more: false), .keys(keys, more: true)],
                          logs: Array(repeating: "x", count: n))
        #expect(try Reply.decode(reply.encode()) == reply)
    }

    @Test(arguments: [Int32.min, -129, -33, -32, -1, 0, 127, 128, 65536, Int32.max])
    func replyRCWidths(_ rc: Int32) throws {
        let reply = Reply(id: UInt64(UInt32.max) + 1, rc: rc, results: [.output(rc: rc, data: [])])
        #expect(try Reply.decode(reply.encode()) == reply)
        #expect(try ReplyHeader.peek(reply.encode()) == ReplyHeader(id: reply.id, rc: rc))
    }
}
