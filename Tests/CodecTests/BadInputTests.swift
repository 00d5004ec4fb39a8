// Hostile and malformed frames: each one is a typed DecodeError, never a crash or a huge
// allocation.
import Testing
import Codec

/// Runs every decoder over one frame; none may crash. Returns the errors of the four decoders.
@discardableResult
private func decodeEverything(_ bytes: Bytes, limits: DecodeLimits = .default) -> [DecodeError?] {
    func attempt<T>(_ body: () throws(DecodeError) -> T) -> DecodeError? {
        do { _ = try body(); return nil } catch { return error }
    }
    return [
        attempt { () throws(DecodeError) in try Request.decode(bytes, limits: limits) },
        attempt { () throws(DecodeError) in try Reply.decode(bytes, limits: limits) },
        attempt { () throws(DecodeError) in try Control.decode(bytes, limits: limits) },
        attempt { () throws(DecodeError) in try MsgPackValue.decode(bytes, limits: limits) },
        attempt { () throws(DecodeError) in try RequestHeader.peek(bytes, limits: limits) },
        attempt { () throws(DecodeError) in try ReplyHeader.peek(bytes, limits: limits) },
    ]
}

private func decodeError<T>(_ body: () throws(DecodeError) -> T) -> DecodeError? {
    do { _ = try body(); return nil } catch { return error }
}

@Suite struct BadInputTests {
    static let frames: [(String, Bytes)] =
        Fixtures.requests.prefix(3).map { ("request \($0.id)", $0.encode()) }
        + Fixtures.replies.prefix(3).map { ("reply \($0.id)", $0.encode()) }
        + Fixtures.controls.prefix(4).map { ("control \($0.typeName)", $0.encode()) }

    @Test func truncationAtEveryOffsetIsAnError() {
        for (name, frame) in Self.frames {
            for cut in 0..<frame.count {
                let prefix = Array(frame[..<cut])
                let errors = decodeEverything(prefix)
                #expect(errors[3] != nil, "\(name) cut at \(cut) decoded as a value")
                // Its own message decoder must refuse it too.
                let own = name.hasPrefix("request") ? errors[0] : name.hasPrefix("reply") ? errors[1] : errors[2]
                #expect(own != nil, "\(name) cut at \(cut) decoded")
            }
        }
    }

    @Test func truncatedFramesReportTruncation() {
        let frame = Fixtures.requests[1].encode()
        #expect(decodeError { () throws(DecodeError) in try Request.decode(Array(frame.dropLast())) } == .truncated)
        #expect(decodeError { () throws(DecodeError) in try Request.decode([]) } == .truncated)
        #expect(decodeError { () throws(DecodeError) in try RequestHeader.peek(Array(frame.dropLast())) } == .truncated)
    }

    @Test func trailingBytesAreRefused() {
        let frame = Fixtures.requests[0].encode() + [0xc0]
        #expect(decodeError { () throws(DecodeError) in try Request.decode(frame) } == .trailingBytes(1))
        #expect(decodeError { () throws(DecodeError) in try RequestHeader.peek(frame) } == .trailingBytes(1))
        #expect(decodeError { () throws(DecodeError) in try MsgPackValue.decode([0x01, 0x02]) } == .trailingBytes(1))
    }

    @Test func absurdLengthsAreRejectedBeforeAllocating() {
        // array32 claiming 2^32-1 elements in a 10-byte frame.
        let hugeArray: Bytes = [0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0]
        let hugeMap: Bytes = [0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0]
        // str32 / bin32 / ext32 claiming 4 GiB.
        let hugeStr: Bytes = [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61, 0x62]
        let hugeBin: Bytes = [0xc6, 0xff, 0xff, 0xff, 0xff, 0x61]
        let hugeExt: Bytes = [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 0x61]
        // A request whose ops array claims more than the frame holds.
        let hugeOps: Bytes = [0x81, 0xa3, 0x6f, 0x70, 0x73, 0xdd, 0x7f, 0xff, 0xff, 0xff, 0x80]
        for frame in [hugeArray, hugeMap, hugeOps] {
            for error in decodeEverything(frame) {
                guard case .badLength = error else { Issue.record("expected badLength, got \(String(describing: error))"); continue }
            }
        }
        for frame in [hugeStr, hugeBin, hugeExt] {
            for error in decodeEverything(frame) { #expect(error == .truncated || error == .wrongType(field: "message", expected: "a map")) }
            #expect(decodeError { () throws(DecodeError) in try MsgPackValue.decode(frame) } == .truncated)
        }
        // A map needs two bytes per entry: 3 entries claimed in 5 bytes is a lie.
        #expect(decodeError { () throws(DecodeError) in try MsgPackValue.decode([0x83, 0xc0, 0xc0, 0xc0, 0xc0]) }
                == .badLength("container claims 3 elements with 4 bytes left"))
    }

    @Test func tooManyElementsAreRefused() {
        let frame = MsgPackValue.array(Array(repeating: .nil, count: 100)).encode()
        let limits = DecodeLimits(maxElements: 50)
        #expect(decodeError { () throws(DecodeError) in try MsgPackValue.decode(frame, limits: limits) }
                == .badLength("more than 50 values in one frame"))
    }

    @Test func deepNestingIsRefused() {
        for opener: UInt8 in [0x91, 0x81] {
            // 1000 levels: [[[[...nil...]]]] or {nil: {nil: ...}}.
            var frame = Bytes()
            for _ in 0..<1000 {
                frame.append(opener)
                if opener == 0x81 { frame.append(0xc0) }
            }
            frame.append(0xc0)
            for error in decodeEverything(frame) {
                #expect(error == .tooDeep(max: 32) || error == .wrongType(field: "message", expected: "a map"))
            }
            #expect(decodeError { () throws(DecodeError) in try MsgPackValue.decode(frame) } == .tooDeep(max: 32))
        }
        // Exactly the limit is fine; one more is not.
        func nested(_ depth: Int) -> Bytes { Array(repeating: 0x91, count: depth) + [0xc0] }
        #expect(decodeError { () throws(DecodeError) in try MsgPackValue.decode(nested(32)) } == nil)
        #expect(decodeError { () throws(DecodeError) in try MsgPackValue.decode(nested(33)) } == .tooDeep(max: 32))
        #expect(decodeError { () throws(DecodeError) in try MsgPackValue.decode(nested(5), limits: DecodeLimits(maxDepth: 4)) }
                == .tooDeep(max: 4))
        // msgpack-c's stack holds 32 containers, so a higher limit is clamped on full decodes.
        #expect(decodeError { () throws(DecodeError) in try MsgPackValue.decode(nested(40), limits: DecodeLimits(maxDepth: 100)) }
                == .tooDeep(max: 32))
    }

    @Test func framesAboveTheLimitAreRefused() {
        let frame = Request(id: 1, oid: [1], ops: [.writeFull(data: Bytes(repeating: 0, count: 200))]).encode()
        let limits = DecodeLimits(maxFrameBytes: 100)
        for error in decodeEverything(frame, limits: limits) {
            #expect(error == .tooLarge(size: frame.count, max: 100))
        }
        let error = DecodeError.tooLarge(size: frame.count, max: 100)
        #expect(error.rc == Errno.EMSGSIZE.rc && error.kind == .decode)
    }

    @Test func unknownVersionIsRefusedClearly() {
        let frame = Fixtures.replacing("v", with: .uint(2))
        let error = decodeError { () throws(DecodeError) in try Request.decode(frame) }
        #expect(error == .unsupportedVersion(2))
        #expect(error?.rc == Errno.EPROTONOSUPPORT.rc && error?.kind == .version)
        #expect(error?.message.contains("version 2") == true)
        #expect(decodeError { () throws(DecodeError) in try RequestHeader.peek(frame) } == .unsupportedVersion(2))
        #expect(decodeError { () throws(DecodeError) in try Request.decode(Fixtures.removing("v")) } == .missingField("v"))

        let reply = MsgPackValue.map([(.string("v"), .uint(9)), (.string("i"), .uint(1)), (.string("rc"), .uint(0))])
        #expect(decodeError { () throws(DecodeError) in try Reply.decode(reply.encode()) } == .unsupportedVersion(9))
        let control = MsgPackValue.map([(.string("v"), .int(-1)), (.string("t"), .string("hb")), (.string("e"), .uint(0))])
        #expect(decodeError { () throws(DecodeError) in try Control.decode(control.encode()) } == .unsupportedVersion(-1))
    }

    @Test func unknownOpKindIsNamed() {
        let frame = Fixtures.requestWithOp([("op", .string("frobnicate"))])
        let error = decodeError { () throws(DecodeError) in try Request.decode(frame) }
        #expect(error == .unknownOp("frobnicate"))
        #expect(error?.message == "unknown op kind 'frobnicate'")
        #expect(error?.rc == Errno.EBADMSG.rc && error?.kind == .decode)
        // The broker does not look inside ops: routing still works.
        #expect(decodeError { () throws(DecodeError) in try RequestHeader.peek(frame) } == nil)
    }

    @Test func missingFields() {
        for key in ["i", "o", "ops"] {
            #expect(decodeError { () throws(DecodeError) in try Request.decode(Fixtures.removing(key)) } == .missingField(key))
            // nil is the same as absent.
            #expect(decodeError { () throws(DecodeError) in try Request.decode(Fixtures.replacing(key, with: .nil)) }
                    == .missingField(key))
        }
        #expect(decodeError { () throws(DecodeError) in try RequestHeader.peek(Fixtures.replacing("o", with: .nil)) }
                == .missingField("o"))
        #expect(decodeError { () throws(DecodeError) in try Request.decode(Fixtures.requestWithOp([("x", .bool(true))])) }
                == .missingField("op"))
        let cases: [([(String, MsgPackValue)], String)] = [
            ([("op", .string("exec")), ("h", .string("h"))], "src"),
            ([("op", .string("exec")), ("src", .string("x"))], "h"),
            ([("op", .string("call")), ("m", .string("m"))], "cls"),
            ([("op", .string("write"))], "data"),
            ([("op", .string("truncate"))], "size"),
            ([("op", .string("setxattr")), ("name", .string("n"))], "val"),
            ([("op", .string("omap_set"))], "kv"),
            ([("op", .string("omap_rm_keys"))], "keys"),
        ]
        for (op, field) in cases {
            #expect(decodeError { () throws(DecodeError) in try Request.decode(Fixtures.requestWithOp(op)) } == .missingField(field))
        }
        let shortSha = Fixtures.requestWithOp([("op", .string("exec")), ("sha", .binary([1, 2])), ("h", .string("h"))])
        #expect(decodeError { () throws(DecodeError) in try Request.decode(shortSha) } == .invalid("field 'sha': expected 32 bytes, got 2"))
    }

    /// Every request field given every wrong type.
    @Test func wrongTypesForEachRequestField() {
        let wrong: [String: [MsgPackValue]] = [
            "v": [.string("1"), .float(1), .array([])],
            "c": [.uint(1), .array([]), .bool(true)],
            "i": [.int(-1), .string("5"), .float(5)],
            "o": [.uint(1), .map([]), .bool(false)],
            "t": [.int(-5), .string("10"), .float(1.5), .array([])],
            "f": [.int(-1), .uint(UInt64(UInt32.max) + 1), .string("ro"), .bool(true)],
            "d": [.uint(0), .array([]), .bool(true)],
            "l": [.uint(0), .array([]), .string("ins")],
            "ops": [.uint(0), .map([]), .string("stat")],
        ]
        for (key, values) in wrong {
            for value in values {
                let error = decodeError { () throws(DecodeError) in try Request.decode(Fixtures.replacing(key, with: value)) }
                guard case let .wrongType(field, _) = error else {
                    Issue.record("\(key) = \(value): expected wrongType, got \(String(describing: error))")
                    continue
                }
                #expect(field == key)
                #expect(error?.message.contains("'\(key)'") == true)
                if ["v", "c", "i", "o", "t", "f"].contains(key) {
                    let peeked = decodeError { () throws(DecodeError) in try RequestHeader.peek(Fixtures.replacing(key, with: value)) }
                    guard case .wrongType(key, _) = peeked else {
                        Issue.record("peek \(key) = \(value): expected wrongType, got \(String(describing: peeked))")
                        continue
                    }
                }
            }
        }
        // Inside ops and limits.
        let opCases: [([(String, MsgPackValue)], String)] = [
            ([("op", .uint(1))], "op"),
            ([("op", .string("read")), ("off", .int(-1))], "off"),
            ([("op", .string("read")), ("len", .string("9"))], "len"),
            ([("op", .string("create")), ("x", .uint(1))], "x"),
            ([("op", .string("exec")), ("h", .uint(1)), ("src", .string("s"))], "h"),
            ([("op", .string("exec")), ("h", .string("h")), ("src", .uint(0))], "src"),
            ([("op", .string("omap_set")), ("kv", .array([]))], "kv"),
            ([("op", .string("omap_set")), ("kv", .map([(.uint(1), .binary([]))]))], "kv key"),
            ([("op", .string("omap_set")), ("kv", .map([(.binary([1]), .nil)]))], "kv value"),
            ([("op", .string("omap_rm_keys")), ("keys", .array([.uint(3)]))], "keys[]"),
            ([("op", .string("omap_get_keys")), ("max", .float(1))], "max"),
        ]
        for (op, field) in opCases {
            let error = decodeError { () throws(DecodeError) in try Request.decode(Fixtures.requestWithOp(op)) }
            guard case .wrongType(field, _) = error else {
                Issue.record("op field \(field): expected wrongType, got \(String(describing: error))")
                continue
            }
        }
        let badLimits = Fixtures.replacing("l", with: .map([(.string("mem"), .int(-1))]))
        #expect(decodeError { () throws(DecodeError) in try Request.decode(badLimits) }
                == .wrongType(field: "l.mem", expected: "a non-negative integer"))
        let badDurability = Fixtures.replacing("d", with: .string("fsync"))
        #expect(decodeError { () throws(DecodeError) in try Request.decode(badDurability) }
                == .invalid("field 'd': unknown durability 'fsync' (sync or none)"))
        for notAMap: MsgPackValue in [.nil, .array([]), .uint(1), .string("v")] {
            #expect(decodeError { () throws(DecodeError) in try Request.decode(notAMap.encode()) }
                    == .wrongType(field: "request", expected: "a map"))
            #expect(decodeError { () throws(DecodeError) in try RequestHeader.peek(notAMap.encode()) }
                    == .wrongType(field: "message", expected: "a map"))
        }
    }

    @Test func wrongTypesInReplyAndControl() {
        func reply(_ fields: [(String, MsgPackValue)]) -> DecodeError? {
            let frame = MsgPackValue.map(fields.map { (.string($0.0), $0.1) }).encode()
            return decodeError { () throws(DecodeError) in try Reply.decode(frame) }
        }
        let base: [(String, MsgPackValue)] = [("i", .uint(1)), ("rc", .int(0))]
        #expect(reply([("i", .int(-1)), ("rc", .int(0))]) == .wrongType(field: "i", expected: "a non-negative integer"))
        #expect(reply([("i", .uint(1)), ("rc", .uint(1 << 40))]) == .wrongType(field: "rc", expected: "a 32-bit signed integer"))
        #expect(reply([("i", .uint(1))]) == .missingField("rc"))
        #expect(reply(base + [("r", .map([]))]) == .wrongType(field: "r", expected: "an array"))
        #expect(reply(base + [("r", .array([.uint(1)]))]) == .wrongType(field: "r[]", expected: "a map"))
        #expect(reply(base + [("r", .array([.map([(.string("k"), .string("zzz"))])]))])
                == .invalid("field 'r[].k': unknown result kind 'zzz'"))
        #expect(reply(base + [("r", .array([.map([(.string("k"), .string("out"))])]))]) == .missingField("r[].rc"))
        #expect(reply(base + [("e", .map([(.string("k"), .string("nope"))]))])
                == .invalid("field 'e.k': unknown error kind 'nope'"))
        #expect(reply(base + [("e", .map([(.string("m"), .string("x"))]))]) == .missingField("e.k"))
        #expect(reply(base + [("g", .array([.uint(1)]))]) == .wrongType(field: "g[]", expected: "bytes (bin or str)"))

        func control(_ fields: [(String, MsgPackValue)]) -> DecodeError? {
            let frame = MsgPackValue.map([(.string("v"), .uint(1))] + fields.map { (.string($0.0), $0.1) }).encode()
            return decodeError { () throws(DecodeError) in try Control.decode(frame) }
        }
        #expect(control([]) == .missingField("t"))
        #expect(control([("t", .string("dance"))]) == .invalid("field 't': unknown control type 'dance'"))
        #expect(control([("t", .string("hb"))]) == .missingField("e"))
        #expect(control([("t", .string("assign")), ("e", .uint(1)), ("n", .uint(1 << 33)), ("s", .array([]))])
                == .wrongType(field: "n", expected: "a 32-bit unsigned integer"))
        #expect(control([("t", .string("opened")), ("e", .uint(1)), ("s", .array([.int(-1)]))])
                == .wrongType(field: "s[]", expected: "a non-negative integer"))
        #expect(control([("t", .string("ready"))]) == .missingField("w"))
    }

    @Test func reservedByteIsInvalid() {
        #expect(decodeError { () throws(DecodeError) in try MsgPackValue.decode([0xc1]) } == .invalid("reserved byte 0xc1"))
    }

    /// Seeded random garbage and mutated valid frames, a fixed budget: only typed errors or
    /// successful decodes, never a crash.
    @Test func randomGarbageNeverCrashes() {
        var random = SeededRandom(seed: 0x5e91a)
        let valid = Self.frames.map(\.1) + [Fixtures.requests[1].encode(), Fixtures.replies[1].encode()]
        var decoded = 0
        for round in 0..<4000 {
            var frame: Bytes
            switch round % 4 {
            case 0:  // pure noise
                frame = (0..<Int.random(in: 0...48, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1:  // noise that starts like a map
                frame = [0x80 | UInt8.random(in: 0...15, using: &random)]
                    + (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            default:  // a valid frame with a few bytes flipped, cut or spliced
                frame = valid.randomElement(using: &random)!
                for _ in 0..<Int.random(in: 1...4, using: &random) where !frame.isEmpty {
                    frame[Int.random(in: 0..<frame.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                if round % 4 == 3 { frame = Array(frame.prefix(Int.random(in: 0...frame.count, using: &random))) }
            }
            decoded += decodeEverything(frame).filter { $0 == nil }.count
        }
        // Some mutations land in payload bytes and still decode; most must not.
        #expect(decoded > 0)
    }
}
