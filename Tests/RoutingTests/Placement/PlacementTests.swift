// The placement hash is a wire contract: these vectors are also in docs/cluster.md.
import Codec
import Testing
@testable import Routing

@Suite struct PlacementTests {
    @Test func hashMatchesDocumentedVectors() {
        let vectors: [(Bytes, UInt64, Int)] = [
            ([], 0xefd0_1f60_ba99_2926, 38),
            (Bytes(utf8: "a"), 0x82a2_a958_a9be_ce5b, 27),
            (Bytes(utf8: "img1"), 0x43a1_3be8_319b_8319, 25),
            (Bytes(utf8: "img2"), 0x9092_a14a_ed91_c641, 1),
            (Bytes(utf8: "hello"), 0xe9c5_62c0_fdb2_3244, 4),
            (Bytes(utf8: "photos/2024/cat.jpg"), 0x7d10_75aa_aabc_ca75, 53),
            ([0x00, 0xff], 0xacb6_4f88_d28b_68b8, 56),
        ]
        for (oid, hash, shard) in vectors {
            #expect(Placement.stableHash(oid) == hash)
            #expect(Int(Placement.shard(of: oid, shardCount: 64)) == shard)
        }
    }

    @Test func shardsAreEvenlyUsed() {
        var counts = [Int](repeating: 0, count: 64)
        for i in 0..<64_000 { counts[Int(Placement.shard(of: Bytes(utf8: "object-\(i)"), shardCount: 64))] += 1 }
        // 1000 expected per shard; a fair hash stays well within +-15%.
        #expect(counts.min()! > 850 && counts.max()! < 1150)
    }
}
