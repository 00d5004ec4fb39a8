// The key of "one answer per request": which client connection, which request id.
import Codec

struct ClientRequestKey: Hashable, Sendable {
    var client: Bytes
    var requestID: UInt64
}
