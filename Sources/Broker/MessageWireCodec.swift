// The broker's WireCodec over Sepia's msgpack Codec.
//
// MERGE: the msgpack encoding of Request/Reply/Control is landing from the codec branch. Until
// then this adapter refuses every message (clients get a decode error, workers are ignored)
// so the executable builds, starts, reports its endpoints and stops cleanly. At merge each
// method becomes one call: RequestHeader.peek(body, limits:) mapped to RequestHeaderInfo,
// reply.encode(), Control(decoding:limits:), control.encode().
import BrokerCore
import Codec
import Routing

struct MessageWireCodec: WireCodec {
    let maxFrameBytes: Int

    func peekRequest(_ body: [UInt8]) throws -> RequestHeaderInfo {
        throw SepiaError(.EPROTONOSUPPORT, .decode, "this broker build has no msgpack codec yet")
    }

    func encodeReply(_ reply: Reply) -> [UInt8] { [] }

    func decodeControl(_ body: [UInt8]) throws -> Control {
        throw SepiaError(.EPROTONOSUPPORT, .decode, "this broker build has no msgpack codec yet")
    }

    func encodeControl(_ control: Control) -> [UInt8] { [] }
}
