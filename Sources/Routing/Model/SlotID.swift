// A worker slot (one worker thread's DEALER) as the broker's ROUTER sees it: its routing id.
import Codec

public struct SlotID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let routingID: Bytes

    public init(_ routingID: Bytes) { self.routingID = routingID }
    public init(_ name: String) { self.routingID = Bytes(utf8: name) }

    /// Byte order: slots are sorted this way wherever the result must be deterministic.
    public static func < (a: SlotID, b: SlotID) -> Bool {
        a.routingID.lexicographicallyPrecedes(b.routingID)
    }

    public var description: String { String(decoding: routingID, as: UTF8.self) }
}
