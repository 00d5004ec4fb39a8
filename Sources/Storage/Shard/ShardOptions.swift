// What a shard can be tuned with: bounds on what a request may store, record retention and
// LevelDB sizing. The defaults are the documented ones (limits.* and osd.dedup_* in
// config/sepia.yaml; a test keeps them equal).
import Codec

/// Configuration of one `ShardStore`.
public struct ShardOptions: Sendable, Equatable {
    /// Largest object payload (write past it → EFBIG); limits.max_object_bytes. (Ceph's
    /// osd_max_object_size is 128 MiB.)
    public var maxObjectBytes: UInt64 = 256 << 20
    /// Largest xattr, name + value (→ E2BIG).
    public var maxXattrBytes: Int = 64 << 10
    /// Most omap entries one op may set or remove (→ E2BIG); reads are clipped to it and
    /// report `more`; limits.max_omap_entries_per_request. (Ceph's is 131072.)
    public var maxOmapEntriesPerRequest: Int = 100_000
    /// Most omap key + value bytes one op may set (→ E2BIG); reads are clipped to it.
    public var maxOmapBytesPerRequest: Int = 64 << 20
    /// Payload chunk size: a small write into a big object rewrites only the chunks it touches.
    /// Fixed when the shard is created (stored data does not record it): never change it for
    /// an existing shard.
    public var chunkBytes: Int = 64 << 10
    /// Exactly-once records kept per shard; the oldest beyond it are pruned.
    public var maxRecords: Int = 100_000
    /// Exactly-once records older than this are pruned (seconds). A retry arriving later
    /// runs again.
    public var recordRetentionSeconds: UInt64 = 3600
    /// How many old records one `stage` may prune: keeps each commit's extra work bounded.
    public var prunePerStage: Int = 8
    /// LevelDB memtable size. Per shard, and a worker holds many shards (64 shards by
    /// default in a cluster): up to two memtables each, so keep it small.
    public var writeBufferBytes: Int = 4 << 20
    /// LevelDB block cache size, per shard (filled only by reads).
    public var cacheBytes: Int = 4 << 20

    public init() {}
}
