// The view one request has of its object: primitive ops applied to a staged transaction.
// The Lua runtime and native classes reach storage only through this protocol.
import Codec

/// One request's staged, not-yet-committed access to one object of a shard.
///
/// `apply` performs one primitive op (never `.exec` / `.call`) with the errno rules of
/// docs/scripting.md; reads see the transaction's own earlier writes. A failed op throws and
/// changes nothing. In a read-only transaction every write throws EROFS (kind `.readonly`).
public protocol ObjectAccess: AnyObject {
    var oid: Bytes { get }
    var isReadOnly: Bool { get }
    func apply(_ op: Op) throws(SepiaError) -> OpResult
}
