// Scripts that attack the runtime from inside: C re-entry deep enough to overflow the C stack,
// errors raised inside host functions, msgpack bombs, and state one call leaves for the next.
// Each must end with its documented rc, and the runtime must serve the next call normally.
import Codec
import Scripting
import Testing

@Suite struct HostileScriptUnitTests {
    /// C re-entry is bounded by C stack actually used: rc -E2BIG, kind limit, uncatchable.
    @Test(arguments: [
        // gsub whose callback calls gsub again.
        """
        local function f(n) return (("x"):gsub("x", function() return f(n + 1) end)) end
        f(0)
        """,
        // the same through pcall at every level: pcall cannot swallow the abort.
        """
        local function f(n) local ok, v = pcall(string.gsub, "x", "x", function() return f(n + 1) end) return v end
        f(0)
        """,
        // load(reader) whose reader calls load.
        "local function r() load(r) return nil end load(r)",
        // __index of a gsub replacement table, called from C.
        """
        local t t = setmetatable({}, {__index = function(_, k) return (("x"):gsub("x", t)) end})
        ;("x"):gsub("x", t)
        """,
    ])
    func cReentryIsE2BIG(body: String) {
        let h = Harness()
        let o = h.run(body + "\nreturn 0")
        #expect(o.rc == -7 && o.kind == .limit, "\(o.rc) \(o.error?.message ?? "")")
        expectHealthy(h)
    }

    /// Where each level costs more Lua stack than C stack (sort, format), LuaJIT's own Lua
    /// stack limit may come first: "stack overflow", rc -EIO. Either way the runtime lives.
    @Test(arguments: [
        // table.sort whose comparator sorts.
        "local function c(a, b) table.sort({3, 2, 1}, c) return a < b end table.sort({3, 2, 1}, c)",
        // __tostring reached from string.format.
        """
        local t t = setmetatable({}, {__tostring = function(s) return string.format("%s", s) end})
        string.format("%s", t)
        """,
    ])
    func cReentryThroughSortAndFormatIsBounded(body: String) {
        let h = Harness()
        let o = h.run(body + "\nreturn 0")
        let message = o.error?.message ?? ""
        #expect((o.rc == -7 && o.kind == .limit) || (o.rc == -5 && message.hasSuffix("stack overflow")),
                "\(o.rc) \(message)")
        expectHealthy(h)
    }

    @Test func shallowReentryStillWorks() {
        let h = Harness()
        let o = h.run("""
            local function f(n) if n == 0 then return "y" end
              return (("x"):gsub("x", function() return f(n - 1) end)) end
            output:append(f(50)) return 0
            """)
        #expect(o.rc == 0 && o.text == "y")
    }

    /// A bomb in pure Lua after the hostile call: the allocator must still refuse.
    private func expectCapHolds(_ h: Harness, sourceLocation: SourceLocation = #_sourceLocation) {
        let o = h.run("local s = string.rep('x', 1e9) return 0")
        #expect(o.rc == -12 && o.kind == .memory, sourceLocation: sourceLocation)
        expectHealthy(h, sourceLocation: sourceLocation)
    }

    @Test func packOfSharedStringsIsENOMEMAndTheCapHolds() {
        let h = Harness()
        let o = h.run("""
            local s = string.rep('x', 1048576) local t = {}
            for i = 1, 2049 do t[i] = s end
            local ok = pcall(cmsgpack.pack, t)
            return 0
            """)
        #expect(o.rc == -12 && o.kind == .memory)
        expectCapHolds(h)
    }

    @Test func packWithinTheCapStillWorks() {
        let h = Harness()
        let o = h.run("""
            local s = string.rep('x', 1024) local t = {}
            for i = 1, 100 do t[i] = s end
            local u = cmsgpack.unpack(cmsgpack.pack(t))
            output:append(#u .. ':' .. #u[100]) return 0
            """)
        #expect(o.rc == 0 && o.text == "100:1024", "\(o.rc) \(o.error?.message ?? "")")
    }

    /// An array of millions of empty arrays: refused by the pre-scan, before msgpack-c
    /// allocates a zone for them.
    @Test func unpackOfManyEmptyArraysIsENOMEMQuickly() {
        let h = Harness()
        let clock = ContinuousClock()
        let start = clock.now
        let o = h.run("""
            local n = 4000000
            local head = string.char(0xdd, math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256,
                                     math.floor(n / 256) % 256, n % 256)
            local bomb = head .. string.rep(string.char(0x90), n)
            local ok = pcall(cmsgpack.unpack, bomb)
            return 0
            """)
        #expect(o.rc == -12 && o.kind == .memory)
        #expect(clock.now - start < .seconds(5))
        expectCapHolds(h)
    }

    /// Nested empty arrays that pass the pre-scan's per-value minimum still stop at the cap.
    @Test func unpackStopsAtTheCapWhileBuildingTables() {
        let h = Harness(ScriptingConfig(instructionLimit: 5_000_000, timeLimitMillis: 5_000,
                                        memoryLimitBytes: 24 << 20, outputLimitBytes: 1 << 20))
        let o = h.run("""
            local n = 600000
            local head = string.char(0xdd, 0, math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
            local t = cmsgpack.unpack(head .. string.rep(string.char(0x90), n))
            return 0
            """)
        #expect(o.rc == -12 && o.kind == .memory)
        expectCapHolds(h)
    }

    @Test func malformedUnpackIsALuaErrorAndTheCapHolds() {
        let h = Harness()
        let o = h.run("local ok, e = pcall(cmsgpack.unpack, string.char(0xdd, 0xff, 0xff, 0xff, 0xff)) output:append(e) return 0")
        #expect(o.rc == 0 && o.text.contains("malformed"))
        expectCapHolds(h)
    }

    /// A weak-keyed table hands a finalized bufferlist back for one more cycle: it must be
    /// unusable, so nothing is allocated for it that no finalizer would free.
    @Test func resurrectedBufferlistIsUnusable() {
        let h = Harness()
        let o = h.run("""
            local weak = setmetatable({}, {__mode = "k"})
            local function fill() for i = 1, 10 do weak[bufferlist.new()] = true end end
            fill()
            collectgarbage()
            local b = next(weak)
            if b == nil then output:append("gone") return 0 end
            local ok = pcall(function() b:append(string.rep("x", 1000)) end)
            output:append(tostring(ok)) return 0
            """)
        #expect(o.rc == 0 && o.text == "false", "\(o.text)")
        expectHealthy(h)
    }

    /// One call's math.randomseed must not decide the next call's numbers.
    @Test func randomSeedDoesNotCarryOver() {
        let h = Harness()
        let seeded = h.run("math.randomseed(42) output:append(math.random(1, 2^30) .. ' ' .. math.random(1, 2^30)) return 0")
        let values = seeded.text.split(separator: " ")
        #expect(values.count == 2)
        let again = h.run("math.randomseed(42) output:append(tostring(math.random(1, 2^30))) return 0")
        #expect(again.text == String(values[0]))  // seeding within a call stays deterministic
        let next = h.run("output:append(tostring(math.random(1, 2^30))) return 0")
        #expect(next.rc == 0 && next.text != String(values[1]))
    }
}
