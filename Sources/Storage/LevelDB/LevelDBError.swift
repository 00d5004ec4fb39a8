// The one place that turns LevelDB's `char** errptr` convention into a typed Sepia error.
// No other file in Storage reads LevelDB error strings.
import CLevelDB
import Codec

enum LevelDBError {
    /// Runs `body` with an error slot; if LevelDB filled it, frees the string and throws the
    /// matching `SepiaError` (kind `.storage`). `context` says what was being done, e.g.
    /// "open /data/shard-7".
    static func check<T>(
        _ context: @autoclosure () -> String,
        _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> T
    ) throws(SepiaError) -> T {
        var err: UnsafeMutablePointer<CChar>? = nil
        let result = body(&err)
        if let err {
            let text = String(cString: err)
            leveldb_free(err)
            throw classify(text, context: context())
        }
        return result
    }

    /// Maps LevelDB's status text (e.g. "IO error: /x/000005.log: No space left on device")
    /// to an errno. LevelDB only exposes the text, so we match the strerror wording glibc
    /// puts into it and the status-code prefix LevelDB writes.
    static func classify(_ text: String, context: String) -> SepiaError {
        let lower = text.lowercased()
        let errno: Errno
        let what: String
        if lower.contains("no space left") {
            (errno, what) = (.ENOSPC, "disk full")
        } else if text.hasPrefix("Corruption") {
            (errno, what) = (.EIO, "corruption detected")
        } else if lower.contains("permission denied") || lower.contains("operation not permitted") {
            (errno, what) = (.EACCES, "permission denied")
        } else if lower.contains("read-only file system") {
            (errno, what) = (.EROFS, "read-only file system")
        } else if lower.contains("lock") && (lower.contains("temporarily unavailable")
                                             || lower.contains("already held")) {
            (errno, what) = (.EBUSY, "shard is already open (its LOCK is held)")
        } else if lower.contains("does not exist") {
            (errno, what) = (.ENOENT, "no such shard")
        } else {
            (errno, what) = (.EIO, "I/O error")
        }
        return SepiaError(errno, .storage, "\(context): \(what): \(text)")
    }
}
