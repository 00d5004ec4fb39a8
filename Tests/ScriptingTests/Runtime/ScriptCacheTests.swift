// The compiled-script cache: sha hits, noscript, LRU eviction, size limit.
import Codec
import Crypto
import Scripting
import Testing

@Suite(.serialized) struct ScriptCacheTests {
    static let script = "function h(i, o) o:append('hi') return 0 end cls.register(h)"

    @Test func shaHitAfterSource() {
        let h = Harness()
        #expect(h.exec(Self.script).rc == 0)
        let sha = Bytes(SHA256.hash(data: Bytes(utf8: Self.script)))
        let o = h.exec(.sha(sha), handler: "h", input: [])
        #expect(o.rc == 0 && o.text == "hi")
        #expect(h.runtime.cacheStats.hits == 1 && h.runtime.cacheStats.misses == 1)
    }

    @Test func unknownShaIsNoscript() {
        let o = Harness().exec(.sha(Bytes(repeating: 7, count: 32)), handler: "h", input: [])
        #expect(o.rc == -8 && o.kind == .noscript)
    }

    @Test func lruEvictsOldest() {
        let h = Harness(ScriptingConfig(scriptCacheEntries: 2))
        let scripts = (1...3).map { "function h() return \($0) end cls.register(h)" }
        for s in scripts { h.exec(s) }
        #expect(h.runtime.cacheStats.evictions == 1 && h.runtime.cacheStats.entries == 2)
        // Evicted from the compiled cache (a miss), recompiled from the process's sources.
        let first = Bytes(SHA256.hash(data: Bytes(utf8: scripts[0])))
        let misses = h.runtime.cacheStats.misses
        #expect(h.exec(.sha(first), handler: "h", input: []).rc == 1)
        #expect(h.runtime.cacheStats.misses == misses + 1 && h.runtime.cacheStats.evictions == 2)
        let third = Bytes(SHA256.hash(data: Bytes(utf8: scripts[2])))
        #expect(h.exec(.sha(third), handler: "h", input: []).rc == 3)
    }

    /// Distinct large scripts: the cache holds what fits in its byte bound, and the memory the
    /// evicted chunks held goes back (each 1 MB source costs the VM several MB compiled).
    @Test func cacheIsBoundedByBytes() {
        let h = Harness(ScriptingConfig(scriptCacheEntries: 1_000, scriptCacheBytes: 4 << 20))
        for i in 0..<12 {
            // 20,000 distinct string constants: about 1 MB of VM memory once compiled.
            let constants = (0..<20_000).map { "'s\(i)_\($0)'" }.joined(separator: ",")
            #expect(h.exec("x = {\(constants)} function h() return \(i) end cls.register(h)").rc == Int32(i))
        }
        let stats = h.runtime.cacheStats
        #expect(stats.bytes <= 4 << 20 && stats.bytes > 0)
        #expect(stats.evictions > 0 && stats.entries < 12)
        h.exec("collectgarbage() function h() return 0 end cls.register(h)")
        // Known issue: run after the suite's other tests (any order) this reads 9-10 MB about
        // half the time, alone it always passes; the cause (state one runtime leaves that
        // another's collection misses) is not found yet. Recorded as intermittent, not removed.
        withKnownIssue("VM memory after eviction depends on the tests run before", isIntermittent: true) {
            #expect(h.runtime.memoryInUse < 8 << 20)
        }
    }

    /// Runtimes are per thread; a source one of them has seen compiles on any other.
    @Test func shaWorksOnAnotherRuntimeOfTheProcess() {
        let script = "function h() return 41 end cls.register(h) -- \(UInt64.random(in: 0...UInt64.max))"
        let sha = Bytes(SHA256.hash(data: Bytes(utf8: script)))
        let other = Harness()
        #expect(other.exec(.sha(sha), handler: "h", input: []).kind == .noscript)
        #expect(Harness().exec(script).rc == 41)
        #expect(other.exec(.sha(sha), handler: "h", input: []).rc == 41)
    }

    @Test func sharedSourcesAreBoundedByBytes() {
        let cache = SharedSourceCache(capacityBytes: 1000)
        for i in 0..<5 { cache.insert([UInt8(i)], source: Bytes(repeating: 1, count: 300)) }
        #expect(cache.bytes <= 1000)
        #expect(cache.lookup([4]) != nil && cache.lookup([0]) == nil)
        cache.insert([9], source: Bytes(repeating: 1, count: 2000))
        #expect(cache.lookup([9]) == nil)
    }

    @Test func oversizedScriptIsE2BIG() {
        let h = Harness(ScriptingConfig(maxScriptBytes: 10))
        #expect(h.exec("return 0 -- long enough").rc == -7)
    }
}
