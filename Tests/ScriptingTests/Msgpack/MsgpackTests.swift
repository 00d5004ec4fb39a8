// cmsgpack.pack / cmsgpack.unpack.
import Codec
import Scripting
import Testing

@Suite struct MsgpackTests {
    @Test func roundTrip() {
        let o = Harness().run("""
            local s = cmsgpack.pack({1, 2, 'three', {a = true, b = 1.5}}, nil, -7, 'x')
            local t, n, m, x = cmsgpack.unpack(s)
            output:append(#t .. t[3] .. tostring(t[4].a) .. t[4].b .. tostring(n) .. m .. x)
            return 0
            """)
        #expect(o.rc == 0 && o.text == "4threetrue1.5nil-7x")
    }

    @Test func packsTheWireFormat() {
        let o = Harness().run("output:append(cmsgpack.pack({}, {k = 1}, 300)) return 0")
        #expect(o.output == [0x90, 0x81, 0xA1, 0x6B, 0x01, 0xCD, 0x01, 0x2C])
    }

    @Test func sharedTablesCannotExplodeThePacker() {
        let h = Harness()
        let o = h.run("local t = {} t[1] = t t[2] = t t[3] = t return #cmsgpack.pack(t)")
        #expect(o.rc == -5 && o.error?.message.contains("more than") == true)
        #expect(h.run("local t = {} t.self = t return #cmsgpack.pack(t)").rc > 0)
        expectHealthy(h)
    }

    @Test func malformedInputIsALuaError() {
        let h = Harness()
        #expect(h.run("cmsgpack.unpack('\\220\\0\\5') return 0").rc == -5)
        expectHealthy(h)
    }
}
