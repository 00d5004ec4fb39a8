// The other library C functions a script can make work hard, each under the call's limits:
// string.rep and table.concat reach the memory cap at once instead of looping, string.format
// refuses huge widths, and table.sort with an inconsistent or failing comparator is an error,
// never a crash. The runtime serves the next call after each.
import CLuaJIT
import Codec
import Scripting
import Testing

@Suite struct LibraryBoundsTests {
    @Test(arguments: [
        "local s = string.rep('x', 1e9)",
        "local s = string.rep('abc', 2^30)",
        "local s = string.rep('x', 1e8, 'yy')",
        "local s = string.rep('xx', 2^30 + 1)",
        "local s = string.rep('x', 2^30, 'yy')",
        "local s = string.rep(string.rep('x', 1048576), 1000)",
        "local s = string.rep('x', 1048576) local t = {} for i = 1, 1000 do t[i] = s end local r = table.concat(t)",
        "local t = {} for i = 1, 100000 do t[i] = '' end local r = table.concat(t, string.rep('x', 1048576))",
        "local s = string.rep('x', 1048576) local r = string.format(string.rep('%s', 100), " +
            "s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, " +
            "s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, " +
            "s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s)",
        "local s = string.rep('x', 16777216) local r = s:gsub('x', '%0%0')",
    ])
    func growthHitsTheMemoryCap(body: String) {
        expectAborts(body, with: .ENOMEM, .memory)
    }

    /// Sizes LuaJIT refuses before doing any work: an error to catch, or an empty result.
    @Test func impossibleSizesAreRefusedAtOnce() {
        let h = Harness()
        let o = h.run("""
            local parts = {}
            local function try(f, ...) local ok, r = pcall(f, ...) parts[#parts + 1] = ok and #r or r end
            try(string.rep, 'x', 2^31)                -- 32-bit count: negative, so empty
            try(string.format, '%100d', 1)            -- widths have two digits at most
            try(string.format, '%.100f', 1)
            try(table.concat, {}, 'x', 1, 2^31 - 1)   -- stops at the first missing value
            output:append(table.concat(parts, '|'))
            return 0
            """)
        #expect(o.rc == 0)
        let parts = o.text.split(separator: "|").map(String.init)
        #expect(parts.count == 4, "\(o.text)")
        #expect(parts.first == "0", "\(o.text)")
        #expect(Array(parts.dropFirst()) == [
            "invalid option '%100' to 'format'", "invalid option '%.100' to 'format'",
            "invalid value (nil) at index 1 in table for 'concat'",
        ], "\(o.text)")
        expectHealthy(h)
    }

    @Test(arguments: [
        // Always true: LuaJIT notices the partition running off the array.
        ("local t = {} for i = 1, 1000 do t[i] = i % 7 end table.sort(t, function(a, b) return true end)",
         "invalid order function for sorting"),
        ("local t = {} for i = 1, 1000 do t[i] = i end table.sort(t, function(a, b) error('cmp failed') end)",
         "cmp failed"),
        ("table.sort({3, 'x', 1})", "attempt to compare"),
        ("local t = {} for i = 1, 100 do t[i] = {} end table.sort(t)", "attempt to compare two table values"),
    ])
    func badComparatorsAreErrors(body: String, message: String) {
        let h = Harness()
        let o = h.run(body + "\nreturn 0")
        #expect(o.rc == Errno.EIO.rc && o.kind == .runtime, "\(o.rc) \(o.error?.message ?? "")")
        #expect(o.error?.message.contains(message) == true, "\(o.error?.message ?? "")")
        expectHealthy(h)
    }

    /// Random answers from the comparator: an error or a permuted table, never a crash, and
    /// every element is still there.
    @Test func inconsistentComparatorNeverCrashes() {
        let h = Harness()
        for seed in 1...20 {
            let o = h.run("""
                math.randomseed(\(seed))
                local t = {} for i = 1, 500 do t[i] = i end
                local ok = pcall(table.sort, t, function(a, b) return math.random() < 0.5 end)
                local seen = {} for i = 1, 500 do seen[t[i]] = true end
                local n = 0 for _ in pairs(seen) do n = n + 1 end
                output:append(n .. ' ' .. #t)
                return 0
                """)
            #expect(o.rc == 0 && o.text == "500 500", "seed \(seed): \(o.rc) \(o.text)")
        }
        expectHealthy(h)
    }

    /// Input on which LuaJIT's quicksort (median of three) makes about n²/4 comparisons, made
    /// by McIlroy's adversary: a comparator that fixes values only as the sort asks about them.
    /// Run in a plain LuaJIT state (it costs as many comparator calls as the sort it shapes).
    static func quadraticSortInput(count: Int) throws -> String {
        let L = try #require(luaL_newstate())
        defer { lua_close(L) }
        luaL_openlibs(L)
        let script = """
            local n = \(count)
            local gas, solid, candidate, val, t = n + 1, 0, nil, {}, {}
            for i = 1, n do t[i] = i val[i] = gas end
            table.sort(t, function(x, y)
              if val[x] == gas and val[y] == gas then
                if x == candidate then val[x] = solid else val[y] = solid end
                solid = solid + 1
              end
              if val[x] == gas then candidate = x elseif val[y] == gas then candidate = y end
              return val[x] < val[y]
            end)
            return table.concat(val, ",")
            """
        #expect(luaL_loadstring(L, script) == 0 && lua_pcall(L, 0, 1, 0) == 0)
        return String(cString: sepia_lua_tostring(L, -1))
    }

    /// Without a comparator of the script's, the sort's comparisons are charged: the crafted
    /// input ends with -ETIMEDOUT, the same numbers in another order sort well within it.
    @Test func quadraticDefaultSortTimesOut() throws {
        let h = Harness()
        let killer = try Self.quadraticSortInput(count: 6000)
        let body = """
            local t = {} for v in input:str():gmatch('%d+') do t[#t + 1] = tonumber(v) end
            table.sort(t, nil)
            for i = 2, #t do if t[i - 1] > t[i] then return -1 end end
            output:append(tostring(#t))
            return 0
            """
        let o = h.run(body, input: killer)
        #expect(o.rc == Errno.ETIMEDOUT.rc && o.kind == .timeout, "\(o.rc) \(o.error?.message ?? "")")
        let shuffled = (0..<6000).map { ($0 * 4099) % 6000 }.map(String.init).joined(separator: ",")
        let fine = h.run(body, input: shuffled)
        #expect(fine.rc == 0 && fine.text == "6000", "\(fine.rc) \(fine.text)")
    }

    /// A slow comparator is Lua code: the count hook stops it.
    @Test func slowComparatorTimesOut() {
        let h = Harness()
        let o = h.run("""
            local t = {} for i = 1, 100000 do t[i] = (i * 7919) % 100003 end
            table.sort(t, function(a, b) for i = 1, 100 do end return a < b end)
            return 0
            """)
        #expect(o.rc == Errno.ETIMEDOUT.rc && o.kind == .timeout)
        expectHealthy(h)
    }
}
