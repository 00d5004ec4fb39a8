// Where an object lives: shard = stableHash(oid) mod shardCount. Fixed forever for a cluster
// (documented in docs/cluster.md with test vectors) so any client or worker computes the same.

public enum Placement {
    /// FNV-1a 64 over the object name, then murmur3's fmix64 finalizer so the low bits
    /// (used by `mod shardCount`) depend on every input byte.
    @inlinable
    public static func stableHash(_ oid: Bytes) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in oid {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h = h &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }

    @inlinable
    public static func shard(of oid: Bytes, shardCount: UInt32) -> UInt32 {
        UInt32(stableHash(oid) % UInt64(max(shardCount, 1)))
    }
}
