// The ZeroMQ frame layout around message bodies (docs/protocol.md, docs/cluster.md).

public enum Frames {
    /// Client <-> broker: [empty delimiter][body]; admin: [empty][ADMIN][body].
    public static let delimiter: Bytes = []
    public static let admin: Bytes = [UInt8(ascii: "A")]
    /// Broker <-> worker slot: [CONTROL][control body].
    public static let control: Bytes = [UInt8(ascii: "C")]
    /// Broker -> worker slot: [DISPATCH][tag (8 bytes, big-endian)][request body].
    public static let dispatch: Bytes = [UInt8(ascii: "D")]
    /// Worker slot -> broker: [REPLY][tag][reply body].
    public static let reply: Bytes = [UInt8(ascii: "R")]

    public static func tag(_ value: UInt64) -> Bytes {
        withUnsafeBytes(of: value.bigEndian) { Bytes($0) }
    }

    public static func tagValue(_ bytes: Bytes) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return bytes.reduce(0) { ($0 << 8) | UInt64($1) }
    }
}
