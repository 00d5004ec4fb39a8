// Hostile scripts and malformed frames through the real cluster: each gets an errno and a
// message, and the processes keep serving.
import Client
import Codec
import Foundation
import Testing
import ZeroMQ

@Suite(.serialized, .timeLimit(.minutes(3))) struct BadInputTests {
    @Test func hostileScriptsEndInTheirErrnoAndTheWorkerLivesOn() async throws {
        let cluster = try ClusterHarness(workers: 1, environment: ["SEPIA_LUA_TIME_LIMIT_MS": "1000", "SEPIA_LUA_OUTPUT_LIMIT_BYTES": "1048576"])
        try await cluster.waitReady(slots: 1)
        let client = try cluster.client()
        let cases: [(String, Int32, ErrorKind)] = [
            ("function h(i, o) while true do end end cls.register(h)", Errno.ETIMEDOUT.rc, .timeout),
            ("function h(i, o) while true do pcall(function() while true do end end) end end cls.register(h)", Errno.ETIMEDOUT.rc, .timeout),
            ("function h(i, o) local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1024 * 1024) .. i end end cls.register(h)", Errno.ENOMEM.rc, .memory),
            ("function h(i, o) return os.exit(1) end cls.register(h)", Errno.EIO.rc, .runtime),
            ("function h(i, o) o:append(string.rep('x', 2 * 1024 * 1024)) end cls.register(h)", Errno.EOVERFLOW.rc, .overflow),
            ("function h(i, o", Errno.EIO.rc, .compile),
        ]
        for (script, rc, kind) in cases {
            let r = try await client.exec(oid: Array("hostile".utf8), script: Array(script.utf8), handler: "h")
            #expect(r.rc == rc, "\(script): \(r)")
            #expect(r.error?.kind == kind, "\(script): \(String(describing: r.error))")
            // The next request on the same worker is served normally.
            try await client.put(oid: Array("after".utf8), data: Array("ok".utf8))
            #expect(try await client.get(oid: Array("after".utf8)) == Array("ok".utf8))
        }
        #expect(cluster.workerProcesses.allSatisfy { $0.isRunning })
    }

    @Test func malformedFramesAreAnsweredAndTheBrokerServesOn() async throws {
        let cluster = try ClusterHarness(workers: 1)
        try await cluster.waitReady(slots: 1)
        let raw = try Socket(.dealer)
        try raw.connect(cluster.clientEndpoint)
        var rng = SystemRandomNumberGenerator()
        var answered = 0
        let frames: [[Bytes]] = [
            [[], [0xc1]],                                   // a never-used msgpack byte
            [[], [0x81, 0xa1, 0x76]],                       // truncated map
            [[], [0xdd, 0xff, 0xff, 0xff, 0xff]],           // array32 claiming 4 G elements
            [[], Bytes(repeating: 0x91, count: 5000)],      // deep nesting
            [[], [0x80]],                                   // a map without the fields
            [[], (0..<256).map { _ in UInt8.random(in: 0...255, using: &rng) }],
        ]
        for f in frames {
            try raw.send(f)
            #expect(try raw.waitReadable(timeoutMillis: 5000), "no answer to \(f[1].prefix(8))")
            if let reply = try raw.receive(dontWait: true), let body = reply.last {
                let decoded = try Reply.decode(body, limits: DecodeLimits())
                #expect(decoded.rc < 0)
                #expect(decoded.error?.kind == .decode || decoded.error?.kind == .version)
                answered += 1
            }
        }
        #expect(answered == frames.count)
        let client = try cluster.client()
        try await client.put(oid: Array("still".utf8), data: Array("serving".utf8))
        #expect(try await client.get(oid: Array("still".utf8)) == Array("serving".utf8))
    }
}
