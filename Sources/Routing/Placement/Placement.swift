// Placement: which shard an object belongs to. Fixed forever for a cluster, and documented in
// docs/cluster.md with test vectors so clients in other languages compute the same shard.
import Codec

/// `shard = stableHash(oid) mod shardCount`.
///
/// The hash is FNV-1a 64 over the oid bytes, followed by murmur3's fmix64 finalizer. FNV-1a
/// alone is simple to port but mixes its high bits poorly for short keys that differ only in
/// their last byte ("img1", "img2"); fmix64 spreads every input bit over the whole word, so
/// `mod shardCount` sees well-distributed low bits for any shard count.
public enum Placement {
    static let fnvOffsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3

    /// The stable 64-bit hash of an object name.
    public static func stableHash(_ oid: Bytes) -> UInt64 {
        var h = fnvOffsetBasis
        for byte in oid {
            h ^= UInt64(byte)
            h = h &* fnvPrime
        }
        return fmix64(h)
    }

    /// The shard of an object name, in `0..<shardCount`.
    public static func shard(of oid: Bytes, shardCount: Int) -> Int {
        precondition(shardCount > 0, "a cluster has at least one shard")
        return Int(stableHash(oid) % UInt64(shardCount))
    }

    /// murmur3's 64-bit finalizer (avalanche: each input bit flips each output bit ~50%).
    static func fmix64(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }
}
