// Payload ops of a transaction: read, write, truncate over fixed-size chunks.
//
// Invariant: no stored chunk holds bytes at or past the object's size, and a chunk may be
// shorter than its span (or absent): the missing bytes read as zeros. So growing an object
// (by truncate or by a write past the end) never needs to write the gap.
import Codec

extension ShardTransaction {
    /// The chunk as this transaction sees it (nil: absent, i.e. zeros).
    func chunk(_ index: UInt64) throws(SepiaError) -> Bytes? {
        if let staged = overlay.chunks[index] { return staged }
        // By the invariant no stored chunk starts at or past the base size: skip the lookup
        // (appends and fresh writes then never read the disk).
        guard baseVisible, let base = baseMeta, index < (base.size + chunkBytes - 1) / chunkBytes else { return nil }
        return try store.db.get(KeyLayout.chunk(oid, index))
    }

    /// `length` 0 reads to the end; clipped at the size; past the end or missing → empty.
    func read(offset: UInt64, length: UInt64) throws(SepiaError) -> Bytes {
        // As RADOS: reading an object that does not exist is -ENOENT, not empty data.
        guard let meta = overlay.meta else { throw SepiaError(.ENOENT, .op, "read: no such object") }
        guard offset < meta.size else { return [] }
        let (sum, overflow) = offset.addingReportingOverflow(length)
        let end = length == 0 || overflow ? meta.size : min(meta.size, sum)
        var out = Bytes()
        out.reserveCapacity(Int(end - offset))
        var position = offset
        while position < end {
            let index = position / chunkBytes
            let chunkStart = index * chunkBytes
            let upTo = min(end, chunkStart + chunkBytes)
            let stored = try chunk(index) ?? []
            let from = Int(position - chunkStart)
            let to = Int(upTo - chunkStart)
            if from < stored.count { out += stored[from..<min(to, stored.count)] }
            if to > stored.count { out += repeatElement(0, count: to - max(from, stored.count)) }
            position = upTo
        }
        return out
    }

    /// Writes `data` at `offset`, creating the object; a gap before it reads as zeros.
    func write(offset: UInt64, data: Bytes) throws(SepiaError) {
        let (end, overflow) = offset.addingReportingOverflow(UInt64(data.count))
        guard !overflow else { throw SepiaError(.EFBIG, .limit, "write: offset \(offset) is out of range") }
        if !data.isEmpty { try checkSize(end, "write") }
        var position = offset
        var consumed = 0
        while consumed < data.count {
            let index = position / chunkBytes
            let chunkStart = index * chunkBytes
            let from = Int(position - chunkStart)
            let take = min(data.count - consumed, Int(chunkBytes) - from)
            // A write covering the whole chunk needs not read what it replaces.
            var bytes = take == Int(chunkBytes) ? [] : try chunk(index) ?? []
            if bytes.count < from + take {
                bytes += repeatElement(0, count: from + take - bytes.count)
            }
            bytes.replaceSubrange(from..<(from + take), with: data[consumed..<(consumed + take)])
            overlay.chunks[index] = .some(bytes)
            consumed += take
            position += UInt64(take)
        }
        let newSize = data.isEmpty ? nil : end
        touch { meta in
            if let newSize, newSize > meta.size { meta.size = newSize }
        }
    }

    /// Sets the size, creating the object: shrinking drops the bytes past it, growing reads
    /// back as zeros.
    func truncate(to size: UInt64) throws(SepiaError) {
        try checkSize(size, "truncate")
        let oldSize = overlay.meta?.size ?? 0
        if size < oldSize {
            let firstDropped = (size + chunkBytes - 1) / chunkBytes  // chunks wholly past size
            let partial = size % chunkBytes
            if partial != 0, var bytes = try chunk(size / chunkBytes), bytes.count > Int(partial) {
                bytes.removeSubrange(Int(partial)...)
                overlay.chunks[size / chunkBytes] = .some(bytes)
            }
            for index in overlay.chunks.keys where index >= firstDropped {
                overlay.chunks[index] = .some(nil)
            }
            if baseVisible {
                var dropped: [UInt64] = []
                var start = Bytes()
                KeyLayout.appendUInt64(firstDropped, to: &start)
                try scanBase(prefix: KeyLayout.prefix(.chunk, oid), from: start) { suffix, _ in
                    if let index = KeyLayout.readUInt64(suffix, at: 0) { dropped.append(index) }
                    return true
                }
                for index in dropped where overlay.chunks[index] == nil {
                    overlay.chunks[index] = .some(nil)
                }
            }
        }
        touch { $0.size = size }
    }
}
