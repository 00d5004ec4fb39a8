// Any msgpack value, for code that handles free-form data (Lua <-> msgpack, tools, tests).
// The wire messages do not go through it: they pack and unpack their fields directly.
import CMsgpack

public enum MsgPackValue: Sendable, Equatable {
    case `nil`
    case bool(Bool)
    /// Any integer that fits Int64 when it is negative; non-negative integers decode as `.uint`.
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    /// A msgpack str, kept as its raw bytes (the format does not enforce UTF-8).
    case string(Bytes)
    case binary(Bytes)
    case array([MsgPackValue])
    /// Pairs in wire order; keys may repeat and may be of any type.
    case map([(MsgPackValue, MsgPackValue)])
    case ext(type: Int8, data: Bytes)

    /// A str value from Swift text.
    public static func string(_ text: String) -> MsgPackValue { .string(Bytes(text.utf8)) }

    public static func == (lhs: MsgPackValue, rhs: MsgPackValue) -> Bool {
        switch (lhs, rhs) {
        case (.nil, .nil): true
        case let (.bool(a), .bool(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.uint(a), .uint(b)): a == b
        case let (.float(a), .float(b)): a == b || (a.isNaN && b.isNaN)
        case let (.string(a), .string(b)): a == b
        case let (.binary(a), .binary(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.map(a), .map(b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.ext(ta, da), .ext(tb, db)): ta == tb && da == db
        default: false
        }
    }

    /// The msgpack encoding, smallest format for every length and integer.
    /// `.int` with a non-negative value encodes as a positive integer (msgpack has one
    /// integer family), so it decodes back as `.uint`.
    public func encode() -> Bytes {
        Packer.pack { pack(into: $0) }
    }

    func pack(into p: Packer) {
        switch self {
        case .nil: p.nil_()
        case let .bool(v): p.bool(v)
        case let .int(v): p.int(v)
        case let .uint(v): p.uint(v)
        case let .float(v): p.double(v)
        case let .string(v): p.str(bytes: v)
        case let .binary(v): p.bin(v)
        case let .array(items):
            p.array(items.count)
            for item in items { item.pack(into: p) }
        case let .map(pairs):
            p.map(pairs.count)
            for (k, v) in pairs { k.pack(into: p); v.pack(into: p) }
        case let .ext(type, data): p.ext(type: type, data)
        }
    }

    /// Decodes exactly one value filling `bytes`, within `limits`.
    public static func decode(_ bytes: Bytes, limits: DecodeLimits = .default) throws(DecodeError) -> MsgPackValue {
        try bytes.withDecodingBuffer { buffer throws(DecodeError) in try decode(buffer, limits: limits) }
    }

    public static func decode(_ buffer: UnsafeRawBufferPointer, limits: DecodeLimits = .default) throws(DecodeError) -> MsgPackValue {
        try Unpacker.withRoot(buffer, limits: limits) { root throws(DecodeError) in MsgPackValue(root.object) }
    }

    /// Copies a msgpack-c object out of its zone (depth is bounded by the pre-scan).
    init(_ o: msgpack_object) {
        switch o.type {
        case MSGPACK_OBJECT_BOOLEAN: self = .bool(o.via.boolean)
        case MSGPACK_OBJECT_POSITIVE_INTEGER: self = .uint(o.via.u64)
        case MSGPACK_OBJECT_NEGATIVE_INTEGER: self = .int(o.via.i64)
        case MSGPACK_OBJECT_FLOAT32, MSGPACK_OBJECT_FLOAT64: self = .float(o.via.f64)
        case MSGPACK_OBJECT_STR:
            self = .string(Bytes(UnsafeRawBufferPointer(start: o.via.str.ptr, count: Int(o.via.str.size))))
        case MSGPACK_OBJECT_BIN:
            self = .binary(Bytes(UnsafeRawBufferPointer(start: o.via.bin.ptr, count: Int(o.via.bin.size))))
        case MSGPACK_OBJECT_EXT:
            self = .ext(type: o.via.ext.type,
                        data: Bytes(UnsafeRawBufferPointer(start: o.via.ext.ptr, count: Int(o.via.ext.size))))
        case MSGPACK_OBJECT_ARRAY:
            let items = UnsafeBufferPointer(start: o.via.array.ptr, count: Int(o.via.array.size))
            self = .array(items.map(MsgPackValue.init))
        case MSGPACK_OBJECT_MAP:
            let pairs = UnsafeBufferPointer(start: o.via.map.ptr, count: Int(o.via.map.size))
            self = .map(pairs.map { (MsgPackValue($0.key), MsgPackValue($0.val)) })
        default: self = .nil
        }
    }
}
