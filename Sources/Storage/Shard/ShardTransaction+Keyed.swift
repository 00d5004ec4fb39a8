// Keyed ops of a transaction: xattrs and the omap. Reads merge the stored keys (in key
// order, from a LevelDB iterator) with the transaction's own staged changes.
import Codec

extension ShardTransaction {
    // MARK: xattrs

    func xattr(_ name: Bytes) throws(SepiaError) -> Bytes {
        _ = try existing("getxattr")
        let value: Bytes?
        if let staged = overlay.xattrs[name] {
            value = staged
        } else {
            value = baseVisible ? try store.db.get(KeyLayout.xattr(oid, name)) : nil
        }
        guard let value else { throw SepiaError(.ENODATA, .op, "getxattr: no such attribute") }
        return value
    }

    func xattrs() throws(SepiaError) -> [KeyValue] {
        _ = try existing("getxattrs")
        var merged: [Bytes: Bytes] = [:]
        if baseVisible {
            try scanBase(prefix: KeyLayout.prefix(.xattr, oid), from: []) { name, value in
                merged[name] = value
                return true
            }
        }
        for (name, value) in overlay.xattrs { merged[name] = value }
        return merged.map { KeyValue($0.key, $0.value) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    func setXattr(_ name: Bytes, _ value: Bytes) throws(SepiaError) {
        guard name.count + value.count <= options.maxXattrBytes else {
            throw SepiaError(.E2BIG, .limit, "setxattr: \(name.count + value.count) bytes exceed the xattr limit of \(options.maxXattrBytes)")
        }
        overlay.xattrs[name] = .some(value)
        touch()
    }

    func removeXattr(_ name: Bytes) throws(SepiaError) {
        _ = try xattr(name)  // ENOENT / ENODATA as getxattr
        overlay.xattrs[name] = .some(nil)
        touch()
    }

    // MARK: omap reads

    /// Entries strictly after `startAfter` whose key starts with `prefix`, at most `max`
    /// (and at most the per-request entry and byte limits); `more` when entries were left.
    func omapScan(startAfter: Bytes, prefix: Bytes, max: UInt64,
                  keysOnly: Bool) throws(SepiaError) -> (entries: [KeyValue], more: Bool) {
        _ = try existing("omap get")
        let limit = Int(min(max, UInt64(options.maxOmapEntriesPerRequest)))
        let after = startAfter + [0]  // the smallest key strictly after startAfter
        let first = after.lexicographicallyPrecedes(prefix) ? prefix : after
        func wanted(_ key: Bytes) -> Bool {
            startAfter.lexicographicallyPrecedes(key) && key.starts(with: prefix)
        }
        let staged = overlay.omap.keys.filter(wanted).sorted { $0.lexicographicallyPrecedes($1) }
        var stagedIndex = 0
        var entries: [KeyValue] = []
        var bytes = 0
        var more = false
        // Emits one entry; false stops the walk.
        func emit(_ key: Bytes, _ value: Bytes) -> Bool {
            let size = key.count + (keysOnly ? 0 : value.count)
            if entries.count >= limit || (!entries.isEmpty && bytes + size > options.maxOmapBytesPerRequest) {
                more = true
                return false
            }
            bytes += size
            entries.append(KeyValue(key, keysOnly ? [] : value))
            return true
        }
        // Emits staged entries before `key` (all of them when nil); false stops the walk.
        func drainStaged(before key: Bytes?) -> Bool {
            while stagedIndex < staged.count {
                let next = staged[stagedIndex]
                if let key, !next.lexicographicallyPrecedes(key) { break }
                stagedIndex += 1
                if case .some(.some(let value)) = overlay.omap[next], !emit(next, value) { return false }
            }
            return true
        }
        var stopped = false
        if baseVisible && !overlay.dropBaseOmap {
            try scanBase(prefix: KeyLayout.prefix(.omap, oid), from: first) { key, value in
                guard key.starts(with: prefix) else { return false }
                guard drainStaged(before: key) else { stopped = true; return false }
                if stagedIndex < staged.count && staged[stagedIndex] == key {
                    return true  // staged state of this key wins; drained with the next one
                }
                guard emit(key, value) else { stopped = true; return false }
                return true
            }
        }
        if !stopped { _ = drainStaged(before: nil) }
        return (entries, more)
    }

    func omapValues(_ keys: [Bytes]) throws(SepiaError) -> [KeyValue] {
        _ = try existing("omap get vals by keys")
        try checkOmapCount(keys.count, "omap get vals by keys")
        var entries: [KeyValue] = []
        for key in Set(keys).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let value: Bytes?
            if let staged = overlay.omap[key] {
                value = staged
            } else {
                value = baseVisible && !overlay.dropBaseOmap ? try store.db.get(KeyLayout.omap(oid, key)) : nil
            }
            if let value { entries.append(KeyValue(key, value)) }
        }
        return entries
    }

    // MARK: omap writes

    func omapSet(_ entries: [KeyValue]) throws(SepiaError) {
        let bytes = entries.reduce(0) { $0 + $1.key.count + $1.value.count }
        try chargeOmapWrite(entries: entries.count, bytes: bytes, "omap set")
        for entry in entries { overlay.omap[entry.key] = .some(entry.value) }
        touch()
    }

    func omapRemove(_ keys: [Bytes]) throws(SepiaError) {
        _ = try existing("omap remove keys")
        try chargeOmapWrite(entries: keys.count, bytes: 0, "omap remove keys")
        for key in keys { overlay.omap[key] = .some(nil) }
        touch()
    }

    /// The omap bounds hold for the whole request, however many ops or host calls it spreads
    /// its writes over: each write is charged to the transaction's running totals.
    private func chargeOmapWrite(entries: Int, bytes: Int, _ what: String) throws(SepiaError) {
        let totalEntries = overlay.omapEntriesWritten + entries
        guard totalEntries <= options.maxOmapEntriesPerRequest else {
            throw SepiaError(.E2BIG, .limit, "\(what): \(totalEntries) keys written in this request exceed the per-request limit of \(options.maxOmapEntriesPerRequest)")
        }
        let totalBytes = overlay.omapBytesWritten + bytes
        guard totalBytes <= options.maxOmapBytesPerRequest else {
            throw SepiaError(.E2BIG, .limit, "\(what): \(totalBytes) bytes written in this request exceed the per-request limit of \(options.maxOmapBytesPerRequest)")
        }
        overlay.omapEntriesWritten = totalEntries
        overlay.omapBytesWritten = totalBytes
    }

    private func checkOmapCount(_ count: Int, _ what: String) throws(SepiaError) {
        guard count <= options.maxOmapEntriesPerRequest else {
            throw SepiaError(.E2BIG, .limit, "\(what): \(count) keys exceed the per-request limit of \(options.maxOmapEntriesPerRequest)")
        }
    }
}
