// The id of a request the peek refuses, read as far as the frame allows, so that the error
// reply reaches the caller that is waiting for that id.

extension RequestHeader {
    /// The request's `i` when the scan reaches it as a non-negative integer, even if the frame
    /// is refused afterwards (another protocol version, a missing oid, trailing bytes); nil
    /// when the frame breaks before it.
    public static func readableID(_ bytes: Bytes, limits: DecodeLimits = .default) -> UInt64? {
        var id: UInt64?
        do {
            try bytes.withDecodingBuffer { buffer throws(DecodeError) in
                try HeaderScan.fields(buffer, limits: limits) { key, head, _ throws(DecodeError) in
                    guard key.matches("i"), case let .uint(value) = head else { return false }
                    id = value
                    return true
                }
            }
        } catch {
            // Refused: what was read before the fault is all there is.
        }
        return id
    }
}
