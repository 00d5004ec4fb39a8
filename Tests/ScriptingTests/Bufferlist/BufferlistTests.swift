// docs/scripting.md "bufferlist": one test per rule.
import Codec
import Scripting
import Testing

@Suite struct BufferlistTests {
    @Test func newAppendStrLength() {
        let o = Harness().run("local b = bufferlist.new() b:append('a\\0b') b:append('') output:append(b:str() .. #b) return 0")
        #expect(o.output == [97, 0, 98, 51])
    }

    @Test func concatNeedsTwoBufferlistsAndCopies() {
        let h = Harness()
        let o = h.run("local a = bufferlist.new() a:append('x') local c = a .. a a:append('y') output:append(c:str() .. a:str()) return 0")
        #expect(o.text == "xxxy")
        #expect(h.run("local a = bufferlist.new() local c = a .. 's'").rc == -5)
        #expect(h.run("local a = bufferlist.new() local c = 's' .. a").rc == -5)
    }

    @Test func equalityComparesBytesNeverStrings() {
        let o = Harness().run("""
            local a, b = bufferlist.new(), bufferlist.new() a:append('q') b:append('q')
            output:append(tostring(a == b) .. tostring(a == 'q') .. tostring(a ~= b))
            return 0
            """)
        #expect(o.text == "truefalsefalse")
    }

    @Test func orderingUnsignedPrefixFirst() {
        let o = Harness().run("""
            local function bl(s) local b = bufferlist.new() b:append(s) return b end
            output:append(tostring(bl('a') < bl('b')) .. tostring(bl('ab') < bl('a')) .. tostring(bl('a') < bl('ab'))
              .. tostring(bl('\\1') < bl('\\255')) .. tostring(bl('a') <= bl('a')) .. tostring(bl('b') <= bl('a')))
            return 0
            """)
        #expect(o.text == "truefalsetruetruetruefalse")
        #expect(Harness().run("local b = bufferlist.new() return b < 'a'").rc == -5)
    }

    @Test func noTostringNoLengthMethod() {
        let o = Harness().run("""
            local b = bufferlist.new()
            output:append(tostring(b):sub(1, 9) .. tostring(b.length) .. tostring(getmetatable(b)))
            return 0
            """)
        #expect(o.text == "userdata:nilfalse")
    }

    @Test func readsReturnFreshCopiesAndInputIsMutable() {
        let h = Harness()
        h.put("obj", data: "d")
        let o = h.run("local r = cls.read(0, 0) r:append('x') input:append('!') output:append(cls.read(0, 0):str() .. input:str()) return 0", input: "in")
        #expect(o.text == "din!")
    }
}
