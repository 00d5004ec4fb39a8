// A client that sends many requests for a large object and never reads the replies: the
// broker's memory stays bounded by the unread-reply budget, the flooder is answered busy, and
// a normal client meanwhile is never refused. The status document and `sepia status` show the
// figures. With SEPIA_BENCH=1 the same flood also runs against a broker without the budget
// (a budget larger than the flood) and prints both growths (figures in docs/security.md).
import Client
import Codec
import Foundation
import Testing
import ZeroMQ

@Suite(.serialized, .timeLimit(.minutes(4))) struct BoundedQueuesTests {
    static let bench = ProcessInfo.processInfo.environment["SEPIA_BENCH"] == "1"
    static let objectBytes = 64 << 10
    static let flood = 4000  // below broker.client_inflight_max (4096): only the byte budget refuses
    static let budget = 16 << 20

    static func rssKiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    struct Outcome {
        var growthKiB: Int
        var busy: Int
        var data: Int
        var status: BrokerStatus
    }

    /// Starts a cluster with `budget`, floods it from a socket that does not read, checks the
    /// normal client meanwhile, then reads everything the flooder was sent.
    static func floodWithoutReading(budget: Int) async throws -> Outcome {
        let cluster = try ClusterHarness(workers: 1, threads: 2, shards: 8, environment: [
            "SEPIA_BROKER_CLIENT_REPLY_BYTES_MAX": String(budget),
        ])
        try await cluster.waitReady(slots: 2)
        let normal = try cluster.client(timeout: .seconds(20), retries: 0)
        defer { normal.close() }
        let big = Array("big".utf8)
        try await normal.put(oid: big, data: Bytes(repeating: 0x5a, count: objectBytes))
        for i in 0..<20 { try await normal.put(oid: Array("small-\(i)".utf8), data: Array("v\(i)".utf8)) }
        let broker = try #require(cluster.brokerProcess?.processIdentifier)
        let before = try #require(rssKiB(broker))

        // Receive queue of one message: what the flooder does not read stays at the broker
        // (past a kernel socket buffer), as with a client that stopped reading.
        let flooder = try Socket(.dealer)
        defer { flooder.close() }
        try flooder.setHighWaterMarks(send: 0, receive: 1)
        try flooder.connect(cluster.clientEndpoint)
        for id in 1...flood {
            let body = Request(client: Array("flooder".utf8), id: UInt64(id), oid: big, ops: [.read(offset: 0, length: 0)]).encode()
            try flooder.send([[], body])
        }
        // Meanwhile a normal client keeps being answered, never refused.
        for round in 0..<20 {
            let oid = Array("small-\(round)".utf8)
            #expect(try await normal.get(oid: oid) == Array("v\(round)".utf8))
        }
        // Every flood request has been answered or refused by the broker: nothing pending.
        let settled = try await eventuallyValue("the flood settles in the broker", timeout: .seconds(60)) { () -> BrokerStatus? in
            let s = try await cluster.status()
            return s.pending == 0 && s.requests >= UInt64(flood + 41) ? s : nil
        }
        let after = try #require(rssKiB(broker))
        // `sepia status` shows the figures in words while the flooder owes the broker its reads.
        let r = try await CLIRunner.run(["status", "--timeout", "5", "--retries", "0"], broker: cluster.clientEndpoint)
        #expect(r.status == 0 && r.text.contains("requests refused for unread replies") && r.text.contains("UNREAD REPLIES"),
                "\(r.text)\(r.stderr)")

        // The flooder now reads what it was sent: data, or busy for the unread budget.
        var busy = 0, data = 0
        while busy + data < flood, try flooder.waitReadable(timeoutMillis: 10_000), let frames = try flooder.receive(dontWait: true) {
            let reply = try Reply.decode(frames.last ?? [], limits: DecodeLimits())
            if reply.rc == 0 {
                data += 1
            } else {
                #expect(reply.rc == Errno.EBUSY.rc && reply.error?.kind == .busy, "\(reply)")
                #expect(reply.error?.message.contains("not read") == true, "\(reply)")
                busy += 1
            }
        }
        let normalErrors = settled.errorsByKind["busy", default: 0]
        #expect(normalErrors == UInt64(busy), "only the flooder was refused")
        // Afterwards the normal client is still served.
        #expect(try await normal.get(oid: Array("small-0".utf8)) == Array("v0".utf8))
        return Outcome(growthKiB: after - before, busy: busy, data: data, status: settled)
    }

    @Test func unreadRepliesAreBoundedAndOnlyTheFlooderIsRefused() async throws {
        let bounded = try await Self.floodWithoutReading(budget: Self.budget)
        #expect(bounded.busy > 0 && bounded.data + bounded.busy == Self.flood, "data \(bounded.data), busy \(bounded.busy)")
        #expect(bounded.status.replyBudgetRefused == UInt64(bounded.busy))
        // The flooder's unread replies were charged to it and bounded: the budget, plus what
        // was already at the worker when it was reached (one slot window of replies).
        let flooder = try #require(bounded.status.clients.first, "the flooder in the status document")
        let window = Int64(bounded.status.bounds.slotInflightMax) * Int64(Self.objectBytes)
        #expect(flooder.unreadReplyBytes >= Int64(Self.budget) && flooder.unreadReplyBytes <= Int64(Self.budget) + window + (1 << 20),
                "\(flooder)")
        #expect(bounded.status.unreadReplyBytes >= flooder.unreadReplyBytes)
        #expect(bounded.status.bounds.clientReplyBytesMax == Int64(Self.budget))
        // What the whole flood would take (4000 x 64 KiB = 250 MiB) is far above what it grew.
        let floodKiB = Self.flood * Self.objectBytes >> 10
        #expect(bounded.growthKiB < floodKiB / 3, "broker grew \(bounded.growthKiB) KiB")
        print("bounded queues: broker RSS +\(bounded.growthKiB >> 10) MiB with a \(Self.budget >> 20) MiB budget; "
              + "\(bounded.data) replies sent, \(bounded.busy) refused busy")
        if Self.bench {
            let defaults = try await Self.floodWithoutReading(budget: 128 << 20)
            print("bounded queues: broker RSS +\(defaults.growthKiB >> 10) MiB with the default 128 MiB budget; "
                  + "\(defaults.data) replies sent, \(defaults.busy) refused busy")
            let unbounded = try await Self.floodWithoutReading(budget: 1 << 40)
            print("bounded queues: broker RSS +\(unbounded.growthKiB >> 10) MiB without the budget; "
                  + "\(unbounded.data) replies sent, \(unbounded.busy) refused busy")
        }
    }
}
