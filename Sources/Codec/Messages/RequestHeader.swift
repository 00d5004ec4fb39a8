// What the broker needs from every request and reply without decoding them: read in place
// by FrameScanner, skipping the ops (no msgpack-c zone, no op allocations).

/// A request's routing fields.
public struct RequestHeader: Sendable, Equatable {
    public var version: Int
    public var client: Bytes
    public var id: UInt64
    public var oid: Bytes
    public var timeoutMillis: UInt64?
    public var flags: RequestFlags
    /// Routes to this shard instead of the oid's (listing).
    public var shard: UInt32?

    public init(version: Int = protocolVersion, client: Bytes, id: UInt64, oid: Bytes,
                timeoutMillis: UInt64? = nil, flags: RequestFlags = [], shard: UInt32? = nil) {
        self.shard = shard
        self.version = version
        self.client = client
        self.id = id
        self.oid = oid
        self.timeoutMillis = timeoutMillis
        self.flags = flags
    }

    /// Reads the header of a request body. The whole frame is still checked structurally
    /// (sizes, lengths, nesting), so a frame that peeks well is safe to forward.
    public static func peek(_ bytes: Bytes, limits: DecodeLimits = .default) throws(DecodeError) -> RequestHeader {
        try bytes.withDecodingBuffer { buffer throws(DecodeError) in try peek(buffer, limits: limits) }
    }

    public static func peek(_ buffer: UnsafeRawBufferPointer, limits: DecodeLimits = .default) throws(DecodeError) -> RequestHeader {
        var version: Int?
        var client: Bytes = []
        var id: UInt64?
        var oid: Bytes?
        var timeout: UInt64?
        var flags = RequestFlags()
        var shard: UInt32?
        try HeaderScan.fields(buffer, limits: limits) { key, head, s throws(DecodeError) in
            switch key {
            case "v": version = Int(try HeaderScan.int(head, "v"))
            case "c": client = Bytes(try HeaderScan.bytes(head, &s, "c"))
            case "i": id = try HeaderScan.uint(head, "i")
            case "o": oid = Bytes(try HeaderScan.bytes(head, &s, "o"))
            case "t": timeout = try HeaderScan.uint(head, "t")
            case "f":
                let raw = try HeaderScan.uint(head, "f")
                guard let bits = UInt32(exactly: raw) else {
                    throw .wrongType(field: "f", expected: "a 32-bit unsigned integer")
                }
                flags = RequestFlags(rawValue: bits)
            case "s":
                guard let value = UInt32(exactly: try HeaderScan.uint(head, "s")) else {
                    throw .wrongType(field: "s", expected: "a 32-bit unsigned integer")
                }
                shard = value
            default: return false
            }
            return true
        }
        guard let version else { throw .missingField("v") }
        guard version == protocolVersion else { throw .unsupportedVersion(version) }
        guard let id else { throw .missingField("i") }
        guard let oid else { throw .missingField("o") }
        return RequestHeader(version: version, client: client, id: id, oid: oid,
                             timeoutMillis: timeout, flags: flags, shard: shard)
    }
}

/// A reply's id and rc, read in place (the client matches replies to requests by id).
public struct ReplyHeader: Sendable, Equatable {
    public var id: UInt64
    public var rc: Int32

    public init(id: UInt64, rc: Int32) {
        self.id = id
        self.rc = rc
    }

    public static func peek(_ bytes: Bytes, limits: DecodeLimits = .default) throws(DecodeError) -> ReplyHeader {
        try bytes.withDecodingBuffer { buffer throws(DecodeError) in try peek(buffer, limits: limits) }
    }

    public static func peek(_ buffer: UnsafeRawBufferPointer, limits: DecodeLimits = .default) throws(DecodeError) -> ReplyHeader {
        var id: UInt64?
        var rc: Int32?
        try HeaderScan.fields(buffer, limits: limits) { key, head, _ throws(DecodeError) in
            switch key {
            case "i": id = try HeaderScan.uint(head, "i")
            case "rc":
                guard let narrow = Int32(exactly: try HeaderScan.int(head, "rc")) else {
                    throw .wrongType(field: "rc", expected: "a 32-bit signed integer")
                }
                rc = narrow
            default: return false
            }
            return true
        }
        guard let id else { throw .missingField("i") }
        guard let rc else { throw .missingField("rc") }
        return ReplyHeader(id: id, rc: rc)
    }
}

/// Walks a top-level map with FrameScanner, handing each string key and its value's head to
/// a visitor; values the visitor does not take are skipped (and checked).
enum HeaderScan {
    typealias Visitor = (WireKey, WireHead, inout FrameScanner) throws(DecodeError) -> Bool

    static func fields(_ buffer: UnsafeRawBufferPointer, limits requested: DecodeLimits, _ visit: Visitor) throws(DecodeError) {
        let limits = requested.clamped
        guard buffer.count <= limits.maxFrameBytes else {
            throw .tooLarge(size: buffer.count, max: limits.maxFrameBytes)
        }
        var s = FrameScanner(buffer)
        guard case let .map(count) = try s.readHead() else {
            throw .wrongType(field: "message", expected: "a map")
        }
        guard limits.maxDepth >= 1 else { throw .tooDeep(max: limits.maxDepth) }
        for _ in 0..<count {
            let keyHead = try s.readHead()
            guard case let .str(n) = keyHead else {
                // Not a string key: skip the key and its value like any unknown field.
                try s.skipBody(of: keyHead, depth: 1, limits: limits)
                try s.skipValue(depth: 1, limits: limits)
                continue
            }
            let key = WireKey(bytes: s.take(n))
            let head = try s.readHead()
            if case .nil_ = head { continue }  // nil is the same as absent
            // The visitor either consumes the whole value (a scalar, or str/bin via take) or
            // declines it; containers are never header fields, so it throws on them.
            if try visit(key, head, &s) { continue }
            try s.skipBody(of: head, depth: 1, limits: limits)
        }
        guard s.atEnd else { throw .trailingBytes(s.remaining) }
    }

    static func uint(_ head: WireHead, _ field: String) throws(DecodeError) -> UInt64 {
        guard case let .uint(v) = head else { throw .wrongType(field: field, expected: "a non-negative integer") }
        return v
    }

    static func int(_ head: WireHead, _ field: String) throws(DecodeError) -> Int64 {
        switch head {
        case let .int(v): return v
        case let .uint(v) where v <= UInt64(Int64.max): return Int64(v)
        default: throw .wrongType(field: field, expected: "an integer")
        }
    }

    static func bytes(_ head: WireHead, _ s: inout FrameScanner, _ field: String) throws(DecodeError) -> UnsafeRawBufferPointer {
        switch head {
        case let .str(n), let .bin(n): return s.take(n)
        default: throw .wrongType(field: field, expected: "bytes (bin or str)")
        }
    }
}
