// The broker's WireCodec over Sepia's msgpack Codec: one call each.
import BrokerCore
import Codec
import Routing

struct MessageWireCodec: WireCodec {
    let maxFrameBytes: Int

    private var limits: DecodeLimits { DecodeLimits(maxFrameBytes: maxFrameBytes) }

    func peekRequest(_ body: [UInt8]) throws -> RequestHeaderInfo {
        try RequestHeader.peek(body, limits: limits)
    }

    func requestID(ofRefused body: [UInt8]) -> UInt64 {
        // The transport bounds the body (BrokerService.transportLimit), so one more scan of
        // its header without the frame bound is bounded too.
        (try? RequestHeader.peek(body, limits: DecodeLimits(maxFrameBytes: max(body.count, maxFrameBytes))))?.id ?? 0
    }

    func encodeReply(_ reply: Reply) -> [UInt8] { reply.encode() }

    func decodeControl(_ body: [UInt8]) throws -> Control {
        try Control.decode(body, limits: limits)
    }

    func encodeControl(_ control: Control) -> [UInt8] { control.encode() }
}
