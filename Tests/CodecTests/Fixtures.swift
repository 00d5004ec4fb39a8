// Sample messages covering every op, result and control type, shared by the codec tests.
import Codec

enum Fixtures {
    static let sha = Bytes((0..<32).map { UInt8($0) })

    static let allOps: [Op] = [
        .exec(script: .source(Bytes(utf8: "function h(i, o) o:append(i:str()) end cls.register(h)")),
              handler: "h", input: Bytes(utf8: "in")),
        .exec(script: .sha(sha), handler: "h", input: []),
        .call(className: "thumbs", method: "make", input: [0, 1, 2, 255]),
        .create(exclusive: true),
        .create(exclusive: false),
        .remove,
        .stat,
        .read(offset: 10, length: 0),
        .read(offset: 0, length: UInt64.max),
        .write(offset: 4096, data: [1, 2, 3]),
        .writeFull(data: Bytes(repeating: 0xab, count: 40)),
        .append(data: []),
        .truncate(size: 1 << 40),
        .getXattr(name: Bytes(utf8: "user.mime")),
        .getXattrs,
        .setXattr(name: Bytes(utf8: "user.mime"), value: Bytes(utf8: "image/jpeg")),
        .rmXattr(name: [0, 0xff]),
        .omapGetKeys(startAfter: [], max: 100),
        .omapGetVals(startAfter: Bytes(utf8: "a"), prefix: Bytes(utf8: "thumb:"), max: 5),
        .omapGetValsByKeys(keys: [Bytes(utf8: "k1"), [], [0xff]]),
        .omapSet(entries: [KeyValue(Bytes(utf8: "b"), [1]), KeyValue(Bytes(utf8: "a"), [])]),
        .omapRemoveKeys(keys: [Bytes(utf8: "x")]),
        .omapClear,
        .omapGetHeader,
        .omapSetHeader(data: [9, 9]),
        .listObjects(startAfter: [0, 255], prefix: Array("img/".utf8), max: 1000),
    ]

    static let requests: [Request] = [
        Request(id: 0, oid: [], ops: []),
        Request(client: Bytes(utf8: "client-1"), id: 42, oid: Bytes(utf8: "photo.jpg"), ops: allOps,
                flags: [.readOnly, .wantLogs], timeoutMillis: 30_000, durability: Durability.none,
                limits: CallLimits(instructions: 1_000, memoryBytes: 1 << 20, outputBytes: 64)),
        Request(client: [0, 1], id: UInt64.max, oid: [0, 0xff, 0], ops: [.stat], durability: .sync,
                limits: CallLimits(memoryBytes: 5)),
    ] + allOps.enumerated().map { i, op in Request(client: [7], id: UInt64(i), oid: Bytes(utf8: "o\(i)"), ops: [op]) }

    static let results: [OpResult] = [
        .none,
        .data([]),
        .data(Bytes(repeating: 1, count: 20)),
        .output(rc: 0, data: Bytes(utf8: "hi")),
        .output(rc: -5, data: []),
        .output(rc: Int32.max, data: [0]),
        .stat(ObjectStat(size: 12, mtimeNanos: 1_700_000_000_123_456_789, version: 3)),
        .entries([KeyValue(Bytes(utf8: "a"), [1]), KeyValue([0xff], [])], more: true),
        .entries([], more: false),
        .keys([Bytes(utf8: "a"), []], more: false),
        .keys([], more: true),
    ]

    static let replies: [Reply] = [
        Reply(id: 0, rc: 0),
        Reply(id: 42, rc: 0, results: results),
        Reply(id: 7, rc: -5, results: [.output(rc: -5, data: [])],
              error: ErrorInfo(kind: .runtime, message: "boom", line: 3), logs: ["a", "", "é"]),
        Reply(id: UInt64.max, rc: Int32.min, error: ErrorInfo(kind: .decode, message: "")),
        Reply(id: 1, rc: 1, logs: []),
    ] + ErrorKind.allCases.map { Reply(id: 9, rc: -22, error: ErrorInfo(kind: $0, message: $0.rawValue)) }

    static let controls: [Control] = [
        .ready(ReadyInfo(worker: "host-a/123/0", pid: 123, host: "host-a", thread: 0, threads: 2)),
        .heartbeat(epoch: 0),
        .heartbeat(epoch: UInt64.max),
        .assign(epoch: 3, shardCount: 64, shards: Array(0..<64)),
        .assign(epoch: 4, shardCount: 64, shards: []),
        .opened(epoch: 3, shards: [1, 2]),
        .release(epoch: 5, shards: [UInt32.max]),
        .released(epoch: 5, shards: [7]),
        .disconnect(reason: "fenced: stale epoch"),
        .disconnect(reason: ""),
        .stats([]),
        .stats([HandlerStats(name: "call:imgserv.thumb", count: 200, errors: 1, p50Micros: 41_000, p99Micros: 90_000),
                HandlerStats(name: "ops", count: UInt64.max, errors: 0, p50Micros: 80, p99Micros: 300)]),
    ]

    /// A request built as a generic map, so tests can put any value in any field.
    static func requestMap(_ fields: [(String, MsgPackValue)]) -> Bytes {
        MsgPackValue.map(fields.map { (.string($0.0), $0.1) }).encode()
    }

    static let minimalRequestFields: [(String, MsgPackValue)] = [
        ("v", .uint(1)), ("c", .binary([1])), ("i", .uint(5)), ("o", .binary([2])),
        ("t", .uint(100)), ("f", .uint(1)), ("d", .string("sync")),
        ("l", .map([(.string("ins"), .uint(1))])),
        ("ops", .array([.map([(.string("op"), .string("stat"))])])),
    ]

    static func replacing(_ key: String, with value: MsgPackValue,
                          in fields: [(String, MsgPackValue)] = minimalRequestFields) -> Bytes {
        requestMap(fields.map { $0.0 == key ? (key, value) : $0 })
    }

    static func removing(_ key: String, from fields: [(String, MsgPackValue)] = minimalRequestFields) -> Bytes {
        requestMap(fields.filter { $0.0 != key })
    }

    /// A request with one op given as raw fields.
    static func requestWithOp(_ op: [(String, MsgPackValue)]) -> Bytes {
        replacing("ops", with: .array([.map(op.map { (.string($0.0), $0.1) })]))
    }
}

/// A small deterministic generator (SplitMix64) so fuzz runs are reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
