// The one place that calls msgpack-c's packer. It writes straight into a Swift byte array
// (no intermediate sbuffer copy). msgpack-c picks the smallest encoding for every integer
// and length.
import CMsgpack

struct Packer {
    let pk: UnsafeMutablePointer<msgpack_packer>

    /// Runs `body` with a packer and returns what it wrote. `capacity` is a size hint.
    static func pack(capacity: Int = 128, _ body: (Packer) -> Void) -> Bytes {
        var out = Bytes()
        out.reserveCapacity(capacity)
        withUnsafeMutablePointer(to: &out) { outPointer in
            withUnsafeTemporaryAllocation(of: msgpack_packer.self, capacity: 1) { slot in
                let pk = slot.baseAddress!
                msgpack_packer_init(pk, outPointer, { data, buf, len in
                    let out = data!.assumingMemoryBound(to: Bytes.self)
                    out.pointee.append(contentsOf: UnsafeRawBufferPointer(start: buf, count: len))
                    return 0
                })
                body(Packer(pk: pk))
            }
        }
        return out
    }

    func map(_ count: Int) { msgpack_pack_map(pk, count) }
    func array(_ count: Int) { msgpack_pack_array(pk, count) }
    func nil_() { msgpack_pack_nil(pk) }
    func bool(_ v: Bool) { if v { msgpack_pack_true(pk) } else { msgpack_pack_false(pk) } }
    func uint(_ v: UInt64) { msgpack_pack_uint64(pk, v) }
    func int(_ v: Int64) { msgpack_pack_int64(pk, v) }
    func double(_ v: Double) { msgpack_pack_double(pk, v) }

    /// A literal key or enum name.
    func str(_ s: StaticString) {
        msgpack_pack_str_with_body(pk, s.utf8Start, s.utf8CodeUnitCount)
    }

    func str(_ s: String) {
        var s = s
        _ = s.withUTF8 { msgpack_pack_str_with_body(pk, $0.baseAddress, $0.count) }
    }

    /// A str whose bytes are given raw (MsgPackValue keeps strings as bytes).
    func str(bytes: Bytes) {
        _ = bytes.withUnsafeBytes { msgpack_pack_str_with_body(pk, $0.baseAddress, $0.count) }
    }

    func bin(_ bytes: Bytes) {
        _ = bytes.withUnsafeBytes { msgpack_pack_bin_with_body(pk, $0.baseAddress, $0.count) }
    }

    func ext(type: Int8, _ bytes: Bytes) {
        _ = bytes.withUnsafeBytes { msgpack_pack_ext_with_body(pk, $0.baseAddress, $0.count, type) }
    }
}
