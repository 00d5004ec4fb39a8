// The thumbnail service end to end: imgserv through the CLI, and a batch that survives a
// worker killed midway with every thumbnail present exactly once.
import Client
import Codec
import Foundation
import Spawn
import Testing

@Suite(.serialized, .timeLimit(.minutes(3))) struct ThumbnailServiceTests {
    @Test func batchSurvivesAWorkerKilledMidway() async throws {
        let cluster = try ClusterHarness(workers: 2, shards: 16)
        try await cluster.waitReady(slots: 2)
        let b = cluster.clientEndpoint
        let images = cluster.dataRoot.appendingPathComponent("images").path
        var r = try await CLIRunner.run(["thumbs", "samples", images, "--count", "200", "--sizes", "320x240,240x320"], broker: b)
        #expect(r.status == 0, "\(r.stderr)")
        r = try await CLIRunner.run(["thumbs", "put", images, "--prefix", "t/"], broker: b)
        #expect(r.status == 0, "\(r.stderr)")

        var env = ProcessInfo.processInfo.environment
        env["SEPIA_BROKER"] = b
        let make = try Child(ClusterHarness.binDir.appendingPathComponent("sepia").path,
                             ["thumbs", "make", "--spec", "64x64", "--prefix", "t/", "--window", "8", "--json"],
                             environment: env, stdout: .pipe, stderr: .null)
        // Kill a worker once the batch is under way (the first thumbnails exist).
        let client = try cluster.client()
        let deadline = ContinuousClock.now + .seconds(60)
        var started = false
        while !started && ContinuousClock.now < deadline && make.isRunning {
            var made = 0
            for i in 0..<200 where made == 0 {
                let name = String(format: "t/sample-%04d.jpg", i)
                let res = try await client.send(oid: Array(name.utf8), ops: [.omapGetValsByKeys(keys: [Array("64x64".utf8)])],
                                                options: RequestOptions(readOnly: true))
                if case .entries(let e, _)? = res.results.first, !e.isEmpty { made += 1 }
            }
            started = made > 0
            if !started { try await Task.sleep(for: .milliseconds(20)) }
        }
        cluster.kill(cluster.workerProcesses[0])
        let handle = make.standardOutput!
        let data = try await Blocking.run {
            let data = handle.readDataToEndOfFile()
            make.waitUntilExit()
            return data
        }
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(make.terminationStatus == 0, "\(summary)")
        #expect(summary["total"] as? Int == 200)
        #expect((summary["done"] as? Int ?? 0) + (summary["already_there"] as? Int ?? 0) == 200)
        #expect(summary["failed"] as? Int == 0)

        // Every object has exactly one 64x64 thumbnail: the omap entry points at bytes that
        // decode as a 64-pixel image, and the data holds the original plus one thumbnail.
        for i in 0..<200 {
            let name = Array(String(format: "t/sample-%04d.jpg", i).utf8)
            let results = try await client.perform(oid: name, ops: [.omapGetVals(startAfter: [], prefix: [], max: 100), .stat],
                                                   options: RequestOptions(readOnly: true))
            guard case .entries(let entries, _) = results[0], case .stat(let st) = results[1] else {
                Issue.record("unexpected results for \(i)")
                continue
            }
            #expect(entries.map { String(decoding: $0.key, as: UTF8.self) } == ["64x64", "original"])
            let lengths = entries.map { e -> UInt64 in
                let parts = String(decoding: e.value, as: UTF8.self).split(separator: ":")
                return UInt64(parts[1])!
            }
            #expect(st.size == lengths.reduce(0, +), "original + exactly one thumbnail for object \(i)")
        }
    }
}
