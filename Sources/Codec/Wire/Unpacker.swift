// The one place that calls msgpack-c's unpacker, and typed, field-named accessors over the
// objects it produces. Every frame is pre-scanned first (FrameScanner.validate).
import CMsgpack

enum Unpacker {
    /// Validates `buffer`, unpacks it with msgpack-c and hands the root object to `body`.
    /// The objects live in msgpack-c's zone and point into `buffer`: `body` must copy what
    /// it keeps.
    static func withRoot<T>(
        _ buffer: UnsafeRawBufferPointer, limits: DecodeLimits,
        _ body: (WireValue) throws(DecodeError) -> T
    ) throws(DecodeError) -> T {
        try FrameScanner.validate(buffer, limits: limits.clamped)
        guard let base = buffer.baseAddress else { throw .truncated }

        var unpacked = msgpack_unpacked()
        msgpack_unpacked_init(&unpacked)
        defer { msgpack_unpacked_destroy(&unpacked) }
        var offset = 0
        let status = msgpack_unpack_next(
            &unpacked, base.assumingMemoryBound(to: CChar.self), buffer.count, &offset)
        switch status {
        case MSGPACK_UNPACK_SUCCESS:
            guard offset == buffer.count else { throw .trailingBytes(buffer.count - offset) }
            return try body(WireValue(unpacked.data))
        case MSGPACK_UNPACK_CONTINUE:
            throw .truncated
        case MSGPACK_UNPACK_NOMEM_ERROR:
            throw .invalid("msgpack-c could not allocate or nests too deep")
        default:
            throw .invalid("msgpack-c refused the frame")
        }
    }
}

/// A msgpack-c object with accessors that name the field in their errors.
struct WireValue {
    let object: msgpack_object
    init(_ object: msgpack_object) { self.object = object }

    var isNil: Bool { object.type == MSGPACK_OBJECT_NIL }

    func uint64(_ field: String) throws(DecodeError) -> UInt64 {
        guard object.type == MSGPACK_OBJECT_POSITIVE_INTEGER else {
            throw .wrongType(field: field, expected: "a non-negative integer")
        }
        return object.via.u64
    }

    func int64(_ field: String) throws(DecodeError) -> Int64 {
        switch object.type {
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            guard object.via.u64 <= UInt64(Int64.max) else {
                throw .wrongType(field: field, expected: "an integer in the signed 64-bit range")
            }
            return Int64(object.via.u64)
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            return object.via.i64
        default:
            throw .wrongType(field: field, expected: "an integer")
        }
    }

    func int32(_ field: String) throws(DecodeError) -> Int32 {
        try narrow(try int64(field), field, "a 32-bit signed integer")
    }

    func uint32(_ field: String) throws(DecodeError) -> UInt32 {
        try narrow(try uint64(field), field, "a 32-bit unsigned integer")
    }

    private func narrow<Wide: BinaryInteger, Narrow: FixedWidthInteger>(
        _ value: Wide, _ field: String, _ expected: String
    ) throws(DecodeError) -> Narrow {
        guard let narrow = Narrow(exactly: value) else { throw .wrongType(field: field, expected: expected) }
        return narrow
    }

    func bool(_ field: String) throws(DecodeError) -> Bool {
        guard object.type == MSGPACK_OBJECT_BOOLEAN else {
            throw .wrongType(field: field, expected: "a boolean")
        }
        return object.via.boolean
    }

    /// The bytes of a str or bin (clients in other languages pick either for either).
    func rawBytes(_ field: String) throws(DecodeError) -> UnsafeRawBufferPointer {
        switch object.type {
        case MSGPACK_OBJECT_STR:
            return UnsafeRawBufferPointer(start: object.via.str.ptr, count: Int(object.via.str.size))
        case MSGPACK_OBJECT_BIN:
            return UnsafeRawBufferPointer(start: object.via.bin.ptr, count: Int(object.via.bin.size))
        default:
            throw .wrongType(field: field, expected: "bytes (bin or str)")
        }
    }

    func bytes(_ field: String) throws(DecodeError) -> Bytes {
        Bytes(try rawBytes(field))
    }

    /// Text; invalid UTF-8 is repaired rather than refused (a message or name is still useful).
    func string(_ field: String) throws(DecodeError) -> String {
        String(decoding: try rawBytes(field), as: UTF8.self)
    }

    var key: WireKey? {
        guard object.type == MSGPACK_OBJECT_STR else { return nil }
        return WireKey(bytes: UnsafeRawBufferPointer(
            start: object.via.str.ptr, count: Int(object.via.str.size)))
    }

    func array(_ field: String) throws(DecodeError) -> UnsafeBufferPointer<msgpack_object> {
        guard object.type == MSGPACK_OBJECT_ARRAY else {
            throw .wrongType(field: field, expected: "an array")
        }
        return UnsafeBufferPointer(start: object.via.array.ptr, count: Int(object.via.array.size))
    }

    func map(_ field: String) throws(DecodeError) -> UnsafeBufferPointer<msgpack_object_kv> {
        guard object.type == MSGPACK_OBJECT_MAP else {
            throw .wrongType(field: field, expected: "a map")
        }
        return UnsafeBufferPointer(start: object.via.map.ptr, count: Int(object.via.map.size))
    }

    /// Calls `body` with each (string key, value) of a map. Non-string keys are ignored like
    /// any unknown key, and nil values like absent fields (clients may send either).
    func forEachField(
        _ field: String, _ body: (WireKey, WireValue) throws(DecodeError) -> Void
    ) throws(DecodeError) {
        for pair in try map(field) {
            guard let key = WireValue(pair.key).key, pair.val.type != MSGPACK_OBJECT_NIL else { continue }
            try body(key, WireValue(pair.val))
        }
    }

    func array<T>(_ field: String, _ element: (WireValue) throws(DecodeError) -> T) throws(DecodeError) -> [T] {
        let items = try array(field)
        var out: [T] = []
        out.reserveCapacity(items.count)
        for item in items { out.append(try element(WireValue(item))) }
        return out
    }
}

extension Unpacker {
    /// Decodes one message of type T from a byte array (the shared body of every `decode`).
    static func decode<T>(
        _ bytes: Bytes, limits: DecodeLimits, _ make: (WireValue) throws(DecodeError) -> T
    ) throws(DecodeError) -> T {
        try bytes.withDecodingBuffer { buffer throws(DecodeError) in try withRoot(buffer, limits: limits, make) }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` keeping the decoder's typed error (the standard one only rethrows).
    func withDecodingBuffer<T>(
        _ body: (UnsafeRawBufferPointer) throws(DecodeError) -> T
    ) throws(DecodeError) -> T {
        let result: Result<T, DecodeError> = withUnsafeBytes { buffer in
            Result { () throws(DecodeError) -> T in try body(buffer) }
        }
        return try result.get()
    }
}
