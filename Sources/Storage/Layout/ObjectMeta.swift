// Per-object metadata as stored under the "M" key: its presence is the object's existence.
import Codec

/// Size, mtime, version and omap header of one object.
struct ObjectMeta: Equatable {
    var size: UInt64 = 0
    var mtimeNanos: UInt64 = 0
    var version: UInt64 = 0
    var omapHeader: Bytes = []

    /// Format byte first, so the record can grow without a migration.
    private static let format: UInt8 = 1

    init(size: UInt64 = 0, mtimeNanos: UInt64 = 0, version: UInt64 = 0, omapHeader: Bytes = []) {
        self.size = size
        self.mtimeNanos = mtimeNanos
        self.version = version
        self.omapHeader = omapHeader
    }

    /// format(1) size(8) mtime(8) version(8) header(rest); integers big-endian.
    var encoded: Bytes {
        var bytes: Bytes = [Self.format]
        bytes.reserveCapacity(25 + omapHeader.count)
        KeyLayout.appendUInt64(size, to: &bytes)
        KeyLayout.appendUInt64(mtimeNanos, to: &bytes)
        KeyLayout.appendUInt64(version, to: &bytes)
        bytes += omapHeader
        return bytes
    }

    /// nil for a record this build cannot read (reported as corruption by the caller).
    init?(decoding bytes: Bytes) {
        guard bytes.first == Self.format,
              let size = KeyLayout.readUInt64(bytes, at: 1),
              let mtime = KeyLayout.readUInt64(bytes, at: 9),
              let version = KeyLayout.readUInt64(bytes, at: 17) else { return nil }
        self.init(size: size, mtimeNanos: mtime, version: version, omapHeader: Array(bytes[25...]))
    }

    var stat: ObjectStat { ObjectStat(size: size, mtimeNanos: mtimeNanos, version: version) }
}
