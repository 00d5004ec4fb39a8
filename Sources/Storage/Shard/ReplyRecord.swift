// An exactly-once record: what a committed request answered, under (client, request id), with a
// fingerprint of the request itself so that a later request reusing the id for another object
// or other ops is told so instead of being handed the earlier answer.
import Codec

/// One exactly-once record.
///
/// Stored value after the 16-byte age stamp: `0x01`, the fingerprint's length (one byte), the
/// fingerprint, then the reply. A record without a fingerprint (written before fingerprints
/// existed, or by a caller that gives none) is the reply alone: a reply is a msgpack map, whose
/// first byte is never 0x01.
public struct ReplyRecord: Sendable, Equatable {
    /// `ShardStore.recordKey(client:requestID:)`.
    public var key: Bytes
    /// A hash of what the request asked (its oid and ops); empty: none kept.
    public var fingerprint: Bytes
    /// The encoded reply.
    public var reply: Bytes

    static let fingerprinted: UInt8 = 0x01

    public init(key: Bytes, fingerprint: Bytes = [], reply: Bytes) {
        precondition(fingerprint.count <= 255, "a record fingerprint is at most 255 bytes")
        self.key = key
        self.fingerprint = fingerprint
        self.reply = reply
    }

    /// Parses a stored value (past the age stamp).
    init(key: Bytes, value: ArraySlice<UInt8>) {
        self.key = key
        if value.first == Self.fingerprinted, value.count >= 2 {
            let length = Int(value[value.startIndex + 1])
            let start = value.startIndex + 2
            if value.count >= 2 + length {
                fingerprint = Array(value[start..<(start + length)])
                reply = Array(value[(start + length)...])
                return
            }
        }
        fingerprint = []
        reply = Array(value)
    }

    func appendValue(to value: inout Bytes) {
        if !fingerprint.isEmpty {
            value.append(Self.fingerprinted)
            value.append(UInt8(fingerprint.count))
            value += fingerprint
        }
        value += reply
    }

    /// Whether a request with `fingerprint` is the one this record answered. A record kept
    /// without a fingerprint matches any request (it cannot tell).
    public func answers(fingerprint other: Bytes) -> Bool {
        fingerprint.isEmpty || fingerprint == other
    }
}
