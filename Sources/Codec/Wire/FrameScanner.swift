// A bounds-checked reader of msgpack headers over raw bytes. It never allocates: it is the
// pre-scan that guards msgpack-c (which trusts claimed lengths and would allocate for them)
// and the cheap reader behind RequestHeader.peek.

/// One msgpack header. For str/bin/ext the payload starts at the scanner's position.
enum WireHead {
    case nil_
    case bool(Bool)
    case uint(UInt64)
    case int(Int64)  // only negative values; non-negative ones are `.uint`
    case float(Double)
    case str(Int)
    case bin(Int)
    case ext(type: Int8, length: Int)
    case array(Int)
    case map(Int)
}

public struct FrameScanner {
    let base: UnsafeRawPointer?
    let count: Int
    private(set) var position = 0
    /// Values seen so far by `skipValue` (for `DecodeLimits.maxElements`).
    private(set) var elements = 0

    init(_ buffer: UnsafeRawBufferPointer) {
        base = buffer.baseAddress
        count = buffer.count
    }

    var remaining: Int { count - position }
    var atEnd: Bool { position == count }

    @inline(__always)
    private mutating func byte() throws(DecodeError) -> UInt8 {
        guard position < count, let base else { throw .truncated }
        let b = base.load(fromByteOffset: position, as: UInt8.self)
        position += 1
        return b
    }

    /// A big-endian unsigned integer of `width` bytes.
    @inline(__always)
    private mutating func bigEndian(_ width: Int) throws(DecodeError) -> UInt64 {
        guard width <= remaining, let base else { throw .truncated }
        var v: UInt64 = 0
        for i in 0..<width {
            v = v << 8 | UInt64(base.load(fromByteOffset: position + i, as: UInt8.self))
        }
        position += width
        return v
    }

    /// A payload length that must fit in what is left of the frame.
    @inline(__always)
    private mutating func payload(_ width: Int) throws(DecodeError) -> Int {
        let n = try bigEndian(width)
        guard n <= UInt64(remaining) else { throw .truncated }
        return Int(n)
    }

    /// An element count: every element needs at least one byte, so a count larger than the
    /// bytes left is a lie, refused before anyone allocates for it.
    @inline(__always)
    private mutating func elementCount(_ n: UInt64, perElement: UInt64) throws(DecodeError) -> Int {
        guard n <= UInt64(remaining) / perElement else {
            throw .badLength("container claims \(n) elements with \(remaining) bytes left")
        }
        return Int(n)
    }

    mutating func readHead() throws(DecodeError) -> WireHead {
        let b = try byte()
        switch b {
        case 0x00...0x7f: return .uint(UInt64(b))
        case 0x80...0x8f: return .map(try elementCount(UInt64(b & 0x0f), perElement: 2))
        case 0x90...0x9f: return .array(try elementCount(UInt64(b & 0x0f), perElement: 1))
        case 0xa0...0xbf:
            let n = Int(b & 0x1f)
            guard n <= remaining else { throw .truncated }
            return .str(n)
        case 0xc0: return .nil_
        case 0xc1: throw .invalid("reserved byte 0xc1")
        case 0xc2: return .bool(false)
        case 0xc3: return .bool(true)
        case 0xc4: return .bin(try payload(1))
        case 0xc5: return .bin(try payload(2))
        case 0xc6: return .bin(try payload(4))
        case 0xc7, 0xc8, 0xc9:
            let n = try bigEndian(1 << Int(b - 0xc7))
            let type = Int8(bitPattern: try byte())
            guard n <= UInt64(remaining) else { throw .truncated }
            return .ext(type: type, length: Int(n))
        case 0xca: return .float(Double(Float(bitPattern: UInt32(try bigEndian(4)))))
        case 0xcb: return .float(Double(bitPattern: try bigEndian(8)))
        case 0xcc...0xcf: return .uint(try bigEndian(1 << Int(b - 0xcc)))
        case 0xd0...0xd3:
            let width = 1 << Int(b - 0xd0)
            let raw = try bigEndian(width)
            // Sign-extend from `width` bytes.
            let shift = UInt64(64 - 8 * width)
            let v = Int64(bitPattern: raw << shift) >> Int64(shift)
            return v < 0 ? .int(v) : .uint(UInt64(v))
        case 0xd4...0xd8:
            let n = 1 << Int(b - 0xd4)
            let type = Int8(bitPattern: try byte())
            guard n <= remaining else { throw .truncated }
            return .ext(type: type, length: n)
        case 0xd9: return .str(try payload(1))
        case 0xda: return .str(try payload(2))
        case 0xdb: return .str(try payload(4))
        case 0xdc: return .array(try elementCount(try bigEndian(2), perElement: 1))
        case 0xdd: return .array(try elementCount(try bigEndian(4), perElement: 1))
        case 0xde: return .map(try elementCount(try bigEndian(2), perElement: 2))
        case 0xdf: return .map(try elementCount(try bigEndian(4), perElement: 2))
        default: return .int(Int64(Int8(bitPattern: b)))  // 0xe0...0xff negative fixint
        }
    }

    /// The payload bytes of a str/bin/ext just read by `readHead`, consumed.
    mutating func take(_ n: Int) -> UnsafeRawBufferPointer {
        let start = base.map { $0 + position }
        position += n
        return UnsafeRawBufferPointer(start: start, count: n)
    }

    /// Skips one whole value, checking lengths, nesting (`depth` is the level of the
    /// containers the value sits in) and the element budget.
    mutating func skipValue(depth: Int, limits: DecodeLimits) throws(DecodeError) {
        try skipBody(of: try readHead(), depth: depth, limits: limits)
    }

    /// Skips what follows a head already read by `readHead`.
    mutating func skipBody(of head: WireHead, depth: Int, limits: DecodeLimits) throws(DecodeError) {
        elements += 1
        guard elements <= limits.maxElements else {
            throw .badLength("more than \(limits.maxElements) values in one frame")
        }
        switch head {
        case let .str(n), let .bin(n), let .ext(_, n):
            position += n
        case let .array(n):
            guard depth < limits.maxDepth else { throw .tooDeep(max: limits.maxDepth) }
            for _ in 0..<n { try skipValue(depth: depth + 1, limits: limits) }
        case let .map(n):
            guard depth < limits.maxDepth else { throw .tooDeep(max: limits.maxDepth) }
            for _ in 0..<(2 * n) { try skipValue(depth: depth + 1, limits: limits) }
        case .nil_, .bool, .uint, .int, .float:
            break
        }
    }

    /// Checks a whole frame: its size, exactly one well-formed value, nothing after it.
    static func validate(_ buffer: UnsafeRawBufferPointer, limits: DecodeLimits) throws(DecodeError) {
        guard buffer.count <= limits.maxFrameBytes else {
            throw .tooLarge(size: buffer.count, max: limits.maxFrameBytes)
        }
        var scanner = FrameScanner(buffer)
        try scanner.skipValue(depth: 0, limits: limits)
        guard scanner.atEnd else { throw .trailingBytes(scanner.remaining) }
    }
}

extension FrameScanner {
    /// Checks a sequence of whole msgpack values (what cmsgpack.unpack accepts) without
    /// allocating, and returns how many values it holds, all levels together. Every value is at
    /// least one byte, so the scan is linear in the input.
    public static func countValues(_ buffer: UnsafeRawBufferPointer, maxDepth: Int) throws(DecodeError) -> Int {
        let limits = DecodeLimits(maxFrameBytes: Int.max, maxDepth: maxDepth, maxElements: Int.max)
        var scanner = FrameScanner(buffer)
        while !scanner.atEnd { try scanner.skipValue(depth: 0, limits: limits) }
        return scanner.elements
    }
}

/// Compares a map key in place with a literal, so key dispatch never builds a String.
struct WireKey {
    let bytes: UnsafeRawBufferPointer

    func matches(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard n == bytes.count else { return false }
        let start = literal.utf8Start
        for i in 0..<n where start[i] != bytes[i] { return false }
        return true
    }

    static func ~= (pattern: StaticString, key: WireKey) -> Bool { key.matches(pattern) }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}
