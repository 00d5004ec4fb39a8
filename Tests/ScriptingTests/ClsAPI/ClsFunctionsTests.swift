// docs/scripting.md "Functions": one test per row.
import Codec
import Scripting
import Testing

@Suite struct ClsFunctionsTests {
    @Test func logLevelAndJoining() {
        let h = Harness()
        let o = h.run("""
            output:append(cls.log(1, 'a', 2, true, {}) .. '|' .. cls.log('only') .. '|' .. cls.log('x', 'y')
              .. '|' .. cls.log(-1, 'z') .. '|' .. cls.log('5', nil))
            return 0
            """, context: CallContext(wantLogs: true))
        #expect(o.text == "a 2 true table|only|x y|-1 z|nil")
        #expect(o.logs == ["a 2 true table", "only", "x y", "-1 z", "nil"])
    }

    @Test func logWithoutArgumentsReturnsNothing() {
        let o = Harness().run("output:append(tostring(select('#', cls.log()))) return 0",
                              context: CallContext(wantLogs: true))
        #expect(o.text == "0")
        #expect(o.logs.isEmpty)
    }

    @Test func logIsBoundedPerCall() {
        let box = LogBox()
        let context = CallContext(requestId: 9, log: { box.add($0) })
        let o = Harness().run("""
            local big = string.rep('x', 1024 * 1024)
            for i = 1, 2000 do cls.log(big) end
            return 0
            """, context: context)
        #expect(o.rc == 0)
        let bytes = box.records.reduce(0) { $0 + $1.message.utf8.count }
        #expect(bytes < 80 << 10, "a call logged \(bytes) bytes")
        #expect(box.records.last?.message.contains("lines dropped") == true)
    }

    @Test func logLinesReachTheSinkWithRequestId() {
        let box = LogBox()
        let context = CallContext(requestId: 77, log: { box.add($0) })
        let o = Harness().run("cls.log(3, 'hi')\nprint('p', 1, nil)\nreturn 0", context: context)
        #expect(o.logs.isEmpty)
        #expect(box.records == [
            LogRecord(requestId: 77, level: 3, message: "hi", source: .log),
            LogRecord(requestId: 77, level: 10, message: "p\t1\tnil", source: .print),
        ])
    }

    @Test func createExclusiveFollowsTruthiness() {
        let h = Harness()
        #expect(h.run("cls.create(false) cls.create(false) return 0").rc == 0)
        #expect(h.run("cls.create(0) return 0").rc == -17)
        #expect(h.run("cls.create(true) return 0", oid: "new").rc == 0)
    }

    @Test func removeDropsEverythingAndMissingIsENOENT() {
        let h = Harness()
        h.run("local b = bufferlist.new() b:append('v') cls.setxattr('a', b) cls.map_set_val('k', b) return 0")
        #expect(h.run("cls.remove() return 0").rc == 0 && h.store.object("obj") == nil)
        #expect(h.run("cls.remove() return 0").rc == -2)
    }

    @Test func statGivesSizeAndWholeSecondMtime() {
        let h = Harness()
        h.put("obj", data: "12345")
        h.store.objects[Bytes(utf8: "obj")]?.mtimeNanos = 1_500_000_000_900_000_000
        let o = h.run("local s, m = cls.stat() output:append(s .. ' ' .. m) return 0")
        #expect(o.text == "5 1500000000")
        #expect(h.run("cls.stat()", oid: "nope").rc == -2)
    }

    @Test func readRules() {
        let h = Harness()
        h.put("obj", data: "hello")
        let o = h.run("""
            output:append(cls.read(1, 2):str() .. '|' .. cls.read(1, 0):str() .. '|' .. cls.read(3, 100):str()
              .. '|' .. #cls.read(5, 1) .. '|' .. cls.read('1', '1'):str())
            return 0
            """)
        #expect(o.text == "el|ello|lo|0|e")
        #expect(h.run("output:append(#cls.read(0, 0) .. '') return 0", oid: "none").text == "0")
    }

    @Test func writeRules() {
        let h = Harness()
        let o = h.run("local b = bufferlist.new() b:append('ab') cls.write(3, 2, b) return 0")
        #expect(o.rc == 0 && h.store.object("obj")?.data == [0, 0, 0, 97, 98])
        #expect(h.run("local b = bufferlist.new() b:append('ab') cls.write(0, 3, b) return 0").rc == -22)
        #expect(h.run("cls.write(0, 1, 'a') return 0").rc == -5)
    }

    @Test func writeFullReplaces() {
        let h = Harness()
        h.put("obj", data: "long content")
        h.run("local b = bufferlist.new() b:append('s') cls.write_full(b) return 0")
        #expect(h.store.object("obj")?.data == Bytes(utf8: "s"))
    }

    @Test func getxattrRules() {
        let h = Harness()
        h.run("local b = bufferlist.new() b:append('v') cls.setxattr('a', b) return 0")
        #expect(h.run("output:append(cls.getxattr('a'):str()) return 0").text == "v")
        #expect(h.run("cls.getxattr('zz') return 0").rc == -61)
        #expect(h.run("cls.getxattr('a') return 0", oid: "none").rc == -2)
    }

    @Test func getxattrsTable() {
        let h = Harness()
        h.run("local b = bufferlist.new() b:append('1') cls.setxattr('a', b) cls.setxattr('b', b .. b) return 0")
        let o = h.run("local t = cls.getxattrs() output:append(t.a:str() .. t.b:str()) return 0")
        #expect(o.text == "111")
        #expect(h.run("cls.getxattrs() return 0", oid: "none").rc == -2)
    }

    @Test func setxattrCreatesObject() {
        let h = Harness()
        #expect(h.run("cls.setxattr('n', bufferlist.new()) return 0", oid: "fresh").rc == 0)
        #expect(h.store.object("fresh")?.xattrs[Bytes(utf8: "n")] == [])
    }

    @Test func mapGetValRules() {
        let h = Harness()
        h.run("local b = bufferlist.new() b:append('v') cls.map_set_val('k', b) return 0")
        #expect(h.run("output:append(cls.map_get_val('k'):str()) return 0").text == "v")
        #expect(h.run("cls.map_get_val('nokey') return 0").rc == -2)
        #expect(h.run("cls.map_get_val('k') return 0", oid: "none").rc == -2)
    }

    @Test func mapSetValCreatesObject() {
        let h = Harness()
        #expect(h.run("cls.map_set_val('k', bufferlist.new()) return 0", oid: "m").rc == 0)
        #expect(h.store.object("m") != nil)
    }

    @Test func mapSetValsRules() {
        let h = Harness()
        #expect(h.run("cls.map_set_vals({a = 'x', [5] = 'y', [1.5] = 'z'}) return 0").rc == 0)
        let omap = h.store.object("obj")?.omap
        #expect(omap?[Bytes(utf8: "a")] == Bytes(utf8: "x") && omap?[Bytes(utf8: "5")] == Bytes(utf8: "y")
                && omap?[Bytes(utf8: "1.5")] == Bytes(utf8: "z"))
        let badKey = h.run("local ok, e, m = pcall(cls.map_set_vals, {[true] = 'x'}) output:append(e .. ' ' .. m) return 0")
        #expect(badKey.text == "-22 map_set_vals: invalid key type (boolean)")
        let badVal = h.run("local ok, e, m = pcall(cls.map_set_vals, {k = bufferlist.new()}) output:append(m) return 0")
        #expect(badVal.text == "map_set_vals: invalid val type (userdata) for key (k)")
        #expect(h.run("cls.map_set_vals({zz = 'ok', bad = 7}) return 0", oid: "v").rc == -22)
        #expect(h.run("pcall(cls.map_set_vals, {zz = 'ok', bad = 7}) return 0", oid: "v").rc == 0)
        #expect(h.store.object("v") == nil)
    }

    @Test func mapGetKeysAfterAndMax() {
        let h = Harness()
        h.run("cls.map_set_vals({a = '1', b = '2', c = '3', d = '4'}) return 0")
        let o = h.run("""
            local t = cls.map_get_keys('a', 2) local ks = {}
            for k, v in pairs(t) do assert(v == true) ks[#ks + 1] = k end
            table.sort(ks) output:append(table.concat(ks, ','))
            return 0
            """)
        #expect(o.text == "b,c")
    }

    @Test func mapGetValsAfterPrefixMax() {
        let h = Harness()
        h.run("cls.map_set_vals({p1 = '1', p2 = '2', p3 = '3', q1 = '4'}) return 0")
        let o = h.run("""
            local t = cls.map_get_vals('p1', 'p', 10) local ks = {}
            for k, v in pairs(t) do ks[#ks + 1] = k .. '=' .. v:str() end
            table.sort(ks) output:append(table.concat(ks, ','))
            return 0
            """)
        #expect(o.text == "p2=2,p3=3")
    }

    @Test func headerReadAndWrite() {
        let h = Harness()
        h.run("cls.create(false) return 0")
        #expect(h.run("output:append(#cls.map_read_header() .. '') return 0").text == "0")
        h.run("local b = bufferlist.new() b:append('hdr') cls.map_write_header(b) return 0", oid: "w")
        #expect(h.run("output:append(cls.map_read_header():str()) return 0", oid: "w").text == "hdr")
    }

    @Test func mapRemoveKeyRules() {
        let h = Harness()
        h.run("cls.map_set_vals({a = '1'}) return 0")
        #expect(h.run("cls.map_remove_key('a') cls.map_remove_key('absent') return 0").rc == 0)
        #expect(h.store.object("obj")?.omap.isEmpty == true)
        #expect(h.run("cls.map_remove_key('a') return 0", oid: "none").rc == -2)
    }

    @Test func mapClearRules() {
        let h = Harness()
        h.run("cls.map_set_vals({a = '1', b = '2'}) return 0")
        #expect(h.run("cls.map_clear() return 0").rc == 0 && h.store.object("obj")?.omap.isEmpty == true)
        #expect(h.run("cls.map_clear() return 0", oid: "none").rc == -2)
    }

    @Test func versionsAndSubops() {
        let h = Harness()
        h.run("cls.create(false) return 0")
        h.run("cls.create(false) return 0")
        let o = h.run("""
            local v = cls.current_version()
            local n0 = cls.current_subop_num()
            cls.stat() cls.read(0, 0)
            output:append(v .. ' ' .. n0 .. ' ' .. cls.current_subop_num() .. ' ' .. cls.current_subop_version())
            return 0
            """)
        #expect(o.text == "2 0 2 2.2")
    }

    @Test func extTruncateAppendRmxattrByKeys() {
        let h = Harness()
        h.put("obj", data: "abcdef")
        let o = h.run("""
            cls.truncate(3) local b = bufferlist.new() b:append('Z') cls.append(b)
            cls.setxattr('x', b) cls.rmxattr('x')
            cls.map_set_vals({k1 = 'v1', k2 = 'v2'})
            local t = cls.map_get_vals_by_keys({'k1', 'nokey'})
            output:append(cls.read(0, 0):str() .. ' ' .. t.k1:str() .. ' ' .. tostring(t.nokey))
            return 0
            """)
        #expect(o.text == "abcZ v1 nil")
        #expect(h.run("cls.rmxattr('x') return 0").rc == -61)
        #expect(h.run("cls.truncate(-1) return 0").rc == -22)
    }

    @Test func readsSeeEarlierWritesOfTheCall() {
        let h = Harness()
        let o = h.run("local b = bufferlist.new() b:append('new') cls.write_full(b) output:append(cls.read(0, 0):str()) return 0")
        #expect(o.text == "new")
    }

    @Test func integersAcceptNumericStringsOnly() {
        let h = Harness()
        h.put("obj", data: "abc")
        #expect(h.run("cls.read('x', 1) return 0").rc == -5)
    }
}
