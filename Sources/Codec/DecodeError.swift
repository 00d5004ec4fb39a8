// Why a frame could not be decoded, and the bounds a decoder enforces before it allocates.

/// Bounds checked before any byte reaches msgpack-c, so a hostile frame costs at most a scan.
public struct DecodeLimits: Sendable, Equatable {
    /// Frames larger than this are refused outright (config: broker.max_frame_bytes).
    public var maxFrameBytes: Int
    /// Deepest container nesting accepted. msgpack-c's unpacker has a fixed stack of 32
    /// containers, so larger values are clamped to 32 (by peeks too, so they agree).
    public var maxDepth: Int
    /// Most msgpack values (all levels together) in one frame. Each costs msgpack-c a
    /// 24-byte object in its zone, so this caps the decoder's memory at a small multiple
    /// of the frame.
    public var maxElements: Int

    public init(maxFrameBytes: Int = 64 << 20, maxDepth: Int = 32, maxElements: Int = 4_000_000) {
        self.maxFrameBytes = maxFrameBytes
        self.maxDepth = maxDepth
        self.maxElements = maxElements
    }

    public static let `default` = DecodeLimits()

    /// msgpack-c's own nesting limit (MSGPACK_EMBED_STACK_SIZE).
    static let unpackerStackDepth = 32

    /// These limits with the depth clamped to what msgpack-c can unpack, so that a frame
    /// the broker's peek accepts is one the worker's full decode accepts too.
    var clamped: DecodeLimits {
        var bounded = self
        bounded.maxDepth = min(maxDepth, Self.unpackerStackDepth)
        return bounded
    }
}

/// A frame that is not a valid message. Answered with rc -EBADMSG and kind `decode`
/// (`tooLarge`: -EMSGSIZE; `unsupportedVersion`: -EPROTONOSUPPORT and kind `version`).
public enum DecodeError: ResultCodeError, Equatable, CustomStringConvertible {
    /// The frame ends inside a value.
    case truncated
    /// The frame is larger than `DecodeLimits.maxFrameBytes`.
    case tooLarge(size: Int, max: Int)
    /// Containers nest deeper than `DecodeLimits.maxDepth`.
    case tooDeep(max: Int)
    /// A length or element count cannot fit in the frame, or there are too many elements.
    case badLength(String)
    /// A field holds the wrong msgpack type (or a number out of the field's range).
    case wrongType(field: String, expected: String)
    /// A required field is absent.
    case missingField(String)
    /// The "v" field names a protocol version this build does not speak.
    case unsupportedVersion(Int)
    /// Bytes follow the message's single top-level value.
    case trailingBytes(Int)
    /// An op kind this build does not know.
    case unknownOp(String)
    /// Anything else malformed (a reserved byte, an unknown enum string...).
    case invalid(String)

    public var rc: Int32 {
        switch self {
        case .tooLarge: Errno.EMSGSIZE.rc
        case .unsupportedVersion: Errno.EPROTONOSUPPORT.rc
        default: Errno.EBADMSG.rc
        }
    }

    public var kind: ErrorKind {
        if case .unsupportedVersion = self { return .version }
        return .decode
    }

    public var message: String {
        switch self {
        case .truncated: "frame truncated"
        case let .tooLarge(size, max): "frame of \(size) bytes exceeds the limit of \(max) bytes"
        case let .tooDeep(max): "containers nested deeper than \(max) levels"
        case let .badLength(what): "bad length: \(what)"
        case let .wrongType(field, expected): "field '\(field)': expected \(expected)"
        case let .missingField(field): "missing field '\(field)'"
        case let .unsupportedVersion(v): "unsupported protocol version \(v) (this build speaks \(protocolVersion))"
        case let .trailingBytes(n): "\(n) trailing bytes after the message"
        case let .unknownOp(kind): "unknown op kind '\(kind)'"
        case let .invalid(what): what
        }
    }

    public var description: String { "decode error: \(message)" }
}
