// A sanity probe of the hot path, not a benchmark and not an assertion: run with
// SEPIA_CODEC_BENCH=1 swift test -c release --filter CodecSpeedProbe to print ns/op.
import Testing
import Foundation
import Codec

@Suite struct CodecSpeedProbe {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SEPIA_CODEC_BENCH"] != nil))
    func noopExecRoundTrip() throws {
        let request = Request(client: Bytes(utf8: "client-0001"), id: 12345, oid: Bytes(utf8: "object-42"),
                              ops: [.exec(script: .sha(Fixtures.sha), handler: "noop", input: [])],
                              timeoutMillis: 30_000)
        let body = request.encode()
        let rounds = 100_000
        func measure(_ name: String, _ work: () throws -> Int) rethrows {
            var sink = 0
            let start = ContinuousClock.now
            for _ in 0..<rounds { sink &+= try work() }
            let elapsed = ContinuousClock.now - start
            let nanos = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            print("\(name): \(Int(nanos / Double(rounds))) ns/op (\(sink % 2))")
        }
        try measure("request encode+decode") { try Request.decode(request.encode()).ops.count }
        try measure("request header peek") { Int(try RequestHeader.peek(body).id) }
    }
}
