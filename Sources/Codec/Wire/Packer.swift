// The one place that calls msgpack-c's packer. It writes straight into a Swift byte array
// (no intermediate sbuffer copy). msgpack-c picks the smallest encoding for every integer
// and length.
import CMsgpack
#if canImport(Glibc)
import Glibc
#endif

struct Packer {
    let pk: UnsafeMutablePointer<msgpack_packer>

    /// Runs `body` with a packer and returns what it wrote. `capacity` is a size hint.
    ///
    /// msgpack-c calls the write callback once per key and value, so the callback must be a
    /// bare memcpy: it appends to a malloc'd buffer (grown by doubling), copied once into the
    /// array at the end. Appending a raw buffer to `[UInt8]` per call went element by element
    /// and was the largest cost of encoding a small reply (profile in bench/README.md).
    static func pack(capacity: Int = 128, _ body: (Packer) -> Void) -> Bytes {
        var sink = Sink(capacity: max(capacity, 16))
        defer { free(sink.base) }
        withUnsafeMutablePointer(to: &sink) { sinkPointer in
            withUnsafeTemporaryAllocation(of: msgpack_packer.self, capacity: 1) { slot in
                let pk = slot.baseAddress!
                msgpack_packer_init(pk, sinkPointer, { data, buf, len in
                    data!.assumingMemoryBound(to: Sink.self).pointee.append(buf, len)
                    return 0
                })
                body(Packer(pk: pk))
            }
        }
        return Bytes(unsafeUninitializedCapacity: sink.count) { buffer, initialized in
            if sink.count > 0 { memcpy(buffer.baseAddress!, sink.base, sink.count) }
            initialized = sink.count
        }
    }

    /// The growing output buffer behind `pack`.
    private struct Sink {
        var base: UnsafeMutableRawPointer
        var count = 0
        var capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            base = malloc(capacity)!
        }

        mutating func append(_ bytes: UnsafePointer<CChar>?, _ length: Int) {
            guard length > 0, let bytes else { return }
            if count + length > capacity {
                capacity = max(capacity * 2, count + length)
                base = realloc(base, capacity)!
            }
            memcpy(base + count, bytes, length)
            count += length
        }
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
