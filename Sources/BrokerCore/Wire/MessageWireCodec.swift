// The broker's WireCodec over Sepia's msgpack Codec: one call each.
import Codec
import Routing

public struct MessageWireCodec: WireCodec {
    let maxFrameBytes: Int

    public init(maxFrameBytes: Int) { self.maxFrameBytes = maxFrameBytes }

    private var limits: DecodeLimits { DecodeLimits(maxFrameBytes: maxFrameBytes) }

    public func peekRequest(_ body: [UInt8]) throws -> RequestHeaderInfo {
        try RequestHeader.peek(body, limits: limits)
    }

    public func requestID(ofRefused body: [UInt8]) -> UInt64 {
        // The transport bounds the body (BrokerService.transportLimit), so one more scan of
        // its header without the frame bound is bounded too.
        RequestHeader.readableID(body, limits: DecodeLimits(maxFrameBytes: max(body.count, maxFrameBytes))) ?? 0
    }

    public func encodeReply(_ reply: Reply) -> [UInt8] { reply.encode() }

    public func decodeControl(_ body: [UInt8]) throws -> Control {
        try Control.decode(body, limits: limits)
    }

    public func encodeControl(_ control: Control) -> [UInt8] { control.encode() }
}
