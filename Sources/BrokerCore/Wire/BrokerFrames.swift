// The fixed frame layout around message bodies (docs/cluster.md, "Frames").

public enum BrokerFrames {
    /// Client side: the empty delimiter a DEALER puts before the body.
    public static let delimiter: [UInt8] = []
    /// Client side: marks an admin request (["", "A", body]).
    public static let admin: [UInt8] = [UInt8(ascii: "A")]
    /// Worker side: control message, both ways.
    public static let control: [UInt8] = [UInt8(ascii: "C")]
    /// Worker side: broker -> worker request.
    public static let dispatch: [UInt8] = [UInt8(ascii: "D")]
    /// Worker side: worker -> broker reply.
    public static let reply: [UInt8] = [UInt8(ascii: "R")]

    /// A dispatch tag as 8 bytes big-endian.
    public static func encodeTag(_ tag: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: tag >> (56 - 8 * UInt64($0))) }
    }

    /// Reads an 8-byte big-endian tag; nil for any other length.
    public static func decodeTag(_ bytes: [UInt8]) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
