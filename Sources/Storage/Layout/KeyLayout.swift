// The byte layout of every key in a shard's LevelDB (docs/storage.md, "Key layout").
//
// One tag byte says what a key holds; object names are escaped and terminated so that
// LevelDB's bytewise order equals the byte order of object names, and every key of one
// object sorts before the keys of any other name that extends it.
import Codec

enum KeyLayout {
    /// What a key holds. The tag is the first byte of the key.
    enum Tag: UInt8 {
        case meta = 0x4D     // "M" name -> ObjectMeta
        case chunk = 0x44    // "D" name index(u64 BE) -> payload chunk
        case xattr = 0x58    // "X" name attr -> value
        case omap = 0x4F     // "O" name key -> value
        case record = 0x52   // "R" record key -> ReplyRecord
        case recordAge = 0x54  // "T" stamp(u64 BE) seq(u64 BE) -> record key
    }

    // MARK: object names

    /// Escapes 0x00 as 0x00 0xFF and terminates with 0x00 0x01. The terminator sorts below
    /// every escaped or plain continuation byte, so "a" < "a\0" < "a\u{1}" holds for the
    /// encoded forms as for the names, and nothing can follow a name's terminator but that
    /// object's own suffix (chunk index, xattr name, omap key).
    static func appendName(_ name: Bytes, to key: inout Bytes) {
        key.reserveCapacity(key.count + name.count + 2)
        for byte in name {
            key.append(byte)
            if byte == 0 { key.append(0xFF) }
        }
        key.append(0x00)
        key.append(0x01)
    }

    /// Decodes a name starting at `start`; returns it and the index after its terminator,
    /// or nil for a malformed key.
    static func decodeName(_ key: Bytes, from start: Int) -> (name: Bytes, end: Int)? {
        var name = Bytes()
        var i = start
        while i < key.count {
            let byte = key[i]
            if byte != 0 {
                name.append(byte)
                i += 1
                continue
            }
            guard i + 1 < key.count else { return nil }
            switch key[i + 1] {
            case 0xFF: name.append(0); i += 2
            case 0x01: return (name, i + 2)
            default: return nil
            }
        }
        return nil
    }

    /// Tag + encoded name: the prefix of all keys of one kind for one object.
    static func prefix(_ tag: Tag, _ oid: Bytes) -> Bytes {
        var key: Bytes = [tag.rawValue]
        appendName(oid, to: &key)
        return key
    }

    static func meta(_ oid: Bytes) -> Bytes { prefix(.meta, oid) }

    static func chunk(_ oid: Bytes, _ index: UInt64) -> Bytes {
        var key = prefix(.chunk, oid)
        appendUInt64(index, to: &key)
        return key
    }

    static func xattr(_ oid: Bytes, _ name: Bytes) -> Bytes { prefix(.xattr, oid) + name }
    static func omap(_ oid: Bytes, _ key: Bytes) -> Bytes { prefix(.omap, oid) + key }

    // MARK: exactly-once records

    static func record(_ recordKey: Bytes) -> Bytes { [Tag.record.rawValue] + recordKey }

    static func recordAge(stamp: UInt64, sequence: UInt64) -> Bytes {
        var key: Bytes = [Tag.recordAge.rawValue]
        appendUInt64(stamp, to: &key)
        appendUInt64(sequence, to: &key)
        return key
    }

    // MARK: integers

    /// Big-endian, so integer order is key order.
    static func appendUInt64(_ value: UInt64, to bytes: inout Bytes) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    static func readUInt64(_ bytes: Bytes, at offset: Int) -> UInt64? {
        guard offset >= 0, offset + 8 <= bytes.count else { return nil }
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(bytes[offset + i]) }
        return value
    }
}
