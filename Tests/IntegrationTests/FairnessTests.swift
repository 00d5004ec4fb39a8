// One client floods a shard with thousands of slow requests (and reads its replies); a normal
// client's requests on the same shard are answered while most of the flood is still waiting:
// they wait for a window and one round of the flooder, not behind its whole backlog. Without
// the per-client round-robin they would be answered only after every flood request before them.
import Client
import Codec
import Foundation
import Testing
import ZeroMQ

@Suite(.serialized, .timeLimit(.minutes(3))) struct FairnessTests {
    static let flood = 3000
    /// About a millisecond of Lua per request.
    static let slowScript = Array("function h(i, o) local x = 0 for n = 1, 200000 do x = x + n % 7 end o:append(tostring(x)) end cls.register(h)".utf8)

    @Test func aNormalClientIsAnsweredWhileAnotherFloodsTheSameShard() async throws {
        let cluster = try ClusterHarness(workers: 1, threads: 1, shards: 4, environment: [
            // A small window next to the flood: the backlog waits in the broker, where the
            // round-robin is.
            "SEPIA_BROKER_SLOT_INFLIGHT_MAX": "16",
        ])
        try await cluster.waitReady(slots: 1)
        let hot = Array("hot".utf8)
        let shard = Placement.shard(of: hot, shardCount: 4)
        let neighbour = try #require((0..<1000).lazy.map { Array("calm-\($0)".utf8) }
            .first { Placement.shard(of: $0, shardCount: 4) == shard })
        let normal = try cluster.client(timeout: .seconds(60), retries: 0)
        defer { normal.close() }
        _ = try await normal.exec(oid: neighbour, script: Self.slowScript, handler: "h")  // compiled and cached

        let flooder = try Socket(.dealer)
        try flooder.setHighWaterMarks(send: 0, receive: 0)
        try flooder.connect(cluster.clientEndpoint)
        for id in 1...Self.flood {
            let body = Request(client: Array("flooder".utf8), id: UInt64(id), oid: hot,
                               ops: [.exec(script: .source(Self.slowScript), handler: "h", input: [])]).encode()
            try flooder.send([[], body])
        }
        // The flooder reads its replies on a thread of its own (the socket is its alone from now on).
        let answered = Mutex2(0), refused = Mutex2(0)
        let reader = Thread {
            while answered.with({ $0 }) + refused.with({ $0 }) < Self.flood {
                guard (try? flooder.waitReadable(timeoutMillis: 30_000)) == true,
                      let frames = try? flooder.receive(dontWait: true),
                      let reply = try? Reply.decode(frames.last ?? [], limits: DecodeLimits()) else { break }
                if reply.rc >= 0 { answered.with { $0 += 1 } } else { refused.with { $0 += 1 } }
            }
            flooder.close()
        }
        reader.start()

        // The backlog is in the broker, per client: the flooder's requests wait at the slot.
        let during = try await eventuallyValue("the flood waits in the broker") { () -> BrokerStatus? in
            let s = try await cluster.status()
            return (s.workers.first?.queued ?? 0) > 100 ? s : nil
        }
        let flooderFigures = try #require(during.clients.first { $0.queued > 100 }, "\(during.clients)")
        #expect(flooderFigures.inflight >= flooderFigures.queued && during.bounds.slotInflightMax == 16)
        #expect(during.workers.allSatisfy { $0.inflight <= 16 })

        // Five requests of the normal client on the same shard, one after another.
        for round in 0..<5 {
            let r = try await normal.exec(oid: neighbour, script: Self.slowScript, handler: "h")
            #expect(r.rc == 0, "normal request \(round): \(r)")
        }
        let floodDoneWhenNormalWas = answered.with { $0 }
        #expect(floodDoneWhenNormalWas < Self.flood / 2,
                "the normal client's 5 requests waited for \(floodDoneWhenNormalWas) of the flood's \(Self.flood)")
        try await eventually("the flood is answered", timeout: .seconds(120)) {
            answered.with { $0 } + refused.with { $0 } == Self.flood
        }
        #expect(refused.with { $0 } == 0, "the flood fits the bounds: nothing refused")
        print("fairness: 5 normal requests on the flooded shard answered after \(floodDoneWhenNormalWas) of \(Self.flood) flood requests")
    }
}
