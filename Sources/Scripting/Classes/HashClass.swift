// The `hash` native class: md5 / sha256 of the object's data, as a lowercase hex digest.
// The data is read in chunks so a large object is never held whole.
import Codec
import Crypto
import Storage

enum HashClass {
    static let chunkSize: UInt64 = 1 << 20

    static let native = NativeClass(name: "hash", methods: [
        "md5": { _, object, _ throws(SepiaError) in
            var hasher = Insecure.MD5()
            try feed(object) { hasher.update(data: $0) }
            return hex(Array(hasher.finalize()))
        },
        "sha256": { _, object, _ throws(SepiaError) in
            var hasher = SHA256()
            try feed(object) { hasher.update(data: $0) }
            return hex(Array(hasher.finalize()))
        },
    ])

    /// Streams the object's data; a missing object throws ENOENT (from stat).
    private static func feed(_ object: any ObjectAccess, _ update: (Bytes) -> Void) throws(SepiaError) {
        guard case .stat(let stat) = try object.apply(.stat) else {
            throw SepiaError(.EIO, .bug, "stat returned no stat")
        }
        var offset: UInt64 = 0
        while offset < stat.size {
            let length = min(chunkSize, stat.size - offset)
            guard case .data(let chunk) = try object.apply(.read(offset: offset, length: length)),
                  !chunk.isEmpty else { break }
            update(chunk)
            offset += UInt64(chunk.count)
        }
    }

    static func hex(_ digest: Bytes) -> Bytes {
        let digits = Array("0123456789abcdef".utf8)
        var out = Bytes()
        out.reserveCapacity(digest.count * 2)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return out
    }
}
