// Binary-safe byte strings: object names, payloads, xattr names, omap keys.
public typealias Bytes = [UInt8]

extension Array where Element == UInt8 {
    /// The UTF-8 bytes of a string.
    @inlinable public init(utf8 string: String) { self = Array(string.utf8) }
}
