// The key layout keeps binary object names (NUL, 0xFF) in byte order and apart.
import Codec
import Testing
@testable import Storage

@Suite struct KeyLayoutTests {
    static let awkward: [Bytes] = [[], [0], [0, 0], [0, 1], [0, 0xFF], [1], [0xFF], [0xFF, 0], [0xFF, 0xFF],
                                   b("a"), b("a") + [0], b("a") + [0, 0xFF], b("a") + [1], b("a") + [0xFF], b("ab")]

    @Test func encodingPreservesOrderAndRoundTrips() {
        var rng = Seeded(state: 42)
        var names = Self.awkward
        for _ in 0..<300 {
            let length = Int.random(in: 0...6, using: &rng)
            names.append((0..<length).map { _ in [0, 1, 0xFF, 0x41][Int.random(in: 0...3, using: &rng)] })
        }
        for x in names {
            let encoded = KeyLayout.meta(x)
            #expect(KeyLayout.decodeName(encoded, from: 1)?.name == x)
            for y in names {
                // Every key of object x (here: a chunk key, the longest suffix) sorts on the
                // same side of y's keys as x sorts to y.
                let xChunk = KeyLayout.chunk(x, .max)
                let yMeta = KeyLayout.prefix(.chunk, y)
                if x.lexicographicallyPrecedes(y) {
                    #expect(encoded.lexicographicallyPrecedes(KeyLayout.meta(y)))
                    #expect(xChunk.lexicographicallyPrecedes(yMeta))
                }
            }
        }
    }

    @Test func listObjectsWalksNamesInByteOrder() throws {
        let dir = TempDir()
        let store = try ShardStore(path: dir.sub("shard"))
        var rng = Seeded(state: 7)
        var names = Set(Self.awkward.filter { !$0.isEmpty })
        for _ in 0..<100 {
            names.insert((0..<Int.random(in: 1...5, using: &rng)).map { _ in [0, 1, 0xFF, 0x61][Int.random(in: 0...3, using: &rng)] })
        }
        for name in names {
            // Keys of other kinds must not leak into the listing.
            try store.run(name, [.write(offset: 0, data: name), .setXattr(name: [0xFF], value: []),
                                 .omapSet(entries: [KeyValue([0], [])])], record: ReplyRecord(key: name, reply: []))
        }
        let sorted = names.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(try store.listObjects(max: 1000) == (sorted, false))
        // Paging with startAfter visits every name once, in order.
        var paged: [Bytes] = []
        var after: Bytes = []
        while true {
            let page = try store.listObjects(startAfter: after, max: 7)
            paged += page.names
            guard page.more, let last = page.names.last else { break }
            after = last
        }
        #expect(paged == sorted)
        for prefix: Bytes in [[0], [0xFF], b("a"), [0, 0xFF]] {
            let expected = sorted.filter { $0.starts(with: prefix) }
            #expect(try store.listObjects(prefix: prefix, max: 1000).names == expected)
            if expected.count > 1 {
                #expect(try store.listObjects(startAfter: expected[0], prefix: prefix, max: 1000).names == Array(expected.dropFirst()))
            }
        }
        #expect(try store.listObjects(max: 2) == (Array(sorted.prefix(2)), true))
    }
}
