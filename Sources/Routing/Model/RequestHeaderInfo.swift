// What the broker needs from a request without decoding its ops: the codec's RequestHeader
// (version, client, id, oid, timeout, flags, shard). The body travels to the worker unchanged.
import Codec

public typealias RequestHeaderInfo = RequestHeader
