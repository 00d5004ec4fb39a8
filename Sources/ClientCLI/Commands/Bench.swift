// `sepia bench`: latency and throughput scenarios, printed as tables (or one JSON document).
// It starts its own local cluster with --workers N, or uses a running one.
import ArgumentParser
import Client
import Codec
import Foundation

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure latency and throughput: noop, echo, write, thumbs, scale.",
        discussion: """
        Scenarios:
          noop    a no-op Lua handler through broker and worker, with its ratio to echo
          echo    the same route, workers answer at once (the transport's floor)
          write   "write 100 bytes + set one omap key" transactions, durability sync and none
          thumbs  images/s of imgserv.thumb over a corpus (--corpus DIR, or generated samples)
          scale   a scenario (--scenario) with 1, 2, 4 … workers up to --max-workers

        Examples:
          sepia bench noop --workers 1
          sepia bench write --workers 1 --json
          sepia bench scale --scenario thumbs --max-workers 2
        """)

    @Argument(help: "noop, echo, write, thumbs or scale.")
    var scenario: String
    @Option(name: .long, help: "Start a private cluster with this many workers (default: use the running cluster).")
    var workers: Int?
    @Option(name: .long, help: "Threads per worker of a private cluster (0: one per core).")
    var threads = 0
    @Option(name: .long, help: "Seconds per throughput measurement.")
    var seconds: Double = 3
    @Option(name: .long, help: "Requests for the sequential latency run.")
    var requests = 2000
    @Option(name: .long, help: "Windows (requests in flight) to measure, comma-separated.")
    var windows = "1,16,64,256"
    @Option(name: .long, help: "scale: the scenario to scale (noop, write, thumbs).")
    var scenarioToScale = "thumbs"
    @Option(name: .long, help: "scale: the largest worker count.")
    var maxWorkers = 2
    @Option(name: .long, help: "thumbs: folder of images (default: generated samples).")
    var corpus: String?
    @Option(name: .long, help: "thumbs: size spec.")
    var spec = "256x256"
    @Flag(name: .long, help: "Print one JSON document.")
    var json = false
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard ["noop", "echo", "write", "thumbs", "scale"].contains(scenario) else {
            throw ValidationError("unknown scenario '\(scenario)'; expected noop, echo, write, thumbs or scale")
        }
        guard windowList.allSatisfy({ $0 >= 1 }), !windowList.isEmpty else { throw ValidationError("--windows: e.g. 1,16,64,256") }
    }

    var windowList: [Int] { windows.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        var report = BenchReport(json: json)
        do {
            switch scenario {
            case "scale":
                try await runScale(&report)
            default:
                try await withCluster(workers: workers) { client in
                    try await runScenario(scenario, client: client, report: &report)
                }
            }
        } catch {
            Failure.exit("bench", error)
        }
        report.finish()
    }

    private func runScenario(_ name: String, client: SepiaClient, report: inout BenchReport) async throws {
        let runner = BenchRunner(client: client, seconds: seconds)
        switch name {
        case "echo", "noop":
            let echoLatency = try await runner.latency(requests: requests, kind: .echo)
            var echoRates: [Int: Double] = [:]
            for w in windowList { echoRates[w] = try await runner.throughput(window: w, kind: .echo) }
            report.latencyRow("echo", echoLatency, baseline: nil)
            if name == "noop" {
                let noopLatency = try await runner.latency(requests: requests, kind: .noop)
                report.latencyRow("noop", noopLatency, baseline: echoLatency)
                var rows: [(Int, Double, Double)] = []
                for w in windowList { rows.append((w, echoRates[w]!, try await runner.throughput(window: w, kind: .noop))) }
                report.throughputTable(rows, names: ("echo ops/s", "noop ops/s"))
            } else {
                report.throughputTable(windowList.map { ($0, echoRates[$0]!, .nan) }, names: ("echo ops/s", ""))
            }
        case "write":
            var rows: [(Int, Double, Double)] = []
            for w in windowList {
                let sync = try await runner.throughput(window: w, kind: .write(.sync))
                let none = try await runner.throughput(window: w, kind: .write(.none))
                rows.append((w, sync, none))
            }
            report.throughputTable(rows, names: ("sync tx/s", "none tx/s"))
        case "thumbs":
            let names = try await ThumbCorpus.prepare(client: client, corpus: corpus)
            let (summary, elapsed) = await ThumbsMake.make(names, spec: spec, client: client,
                                                           window: windowList.last ?? 64, showProgress: !json)
            report.thumbs(summary, elapsed: elapsed, spec: spec)
        default:
            break
        }
    }

    private func runScale(_ report: inout BenchReport) async throws {
        var counts: [Int] = []
        var n = 1
        while n <= maxWorkers { counts.append(n); n *= 2 }
        if counts.last != maxWorkers { counts.append(maxWorkers) }
        var results: [(Int, Double)] = []
        for count in counts {
            let rate = try await withCluster(workers: count, threadsOverride: max(threads, 1)) { client -> Double in
                let runner = BenchRunner(client: client, seconds: seconds)
                switch scenarioToScale {
                case "noop": return try await runner.throughput(window: windowList.last ?? 256, kind: .noop)
                case "write": return try await runner.throughput(window: windowList.last ?? 64, kind: .write(.sync))
                default:
                    let names = try await ThumbCorpus.prepare(client: client, corpus: corpus)
                    let (summary, elapsed) = await ThumbsMake.make(names, spec: spec, client: client, window: 64, showProgress: false)
                    return Double(summary.done + summary.already) / elapsed.seconds
                }
            }
            results.append((count, rate))
            if !json { FileHandle.standardError.write(Data("scale: \(count) worker(s): \(String(format: "%.1f", rate))/s\n".utf8)) }
        }
        report.scale(results, scenario: scenarioToScale)
    }

    /// Runs `body` against a private cluster (when `workers` is set) or the running one.
    private func withCluster<T>(workers: Int?, threadsOverride: Int? = nil, _ body: (SepiaClient) async throws -> T) async throws -> T {
        guard let workers else {
            let client = try connection.makeClient()
            defer { client.close() }
            return try await body(client)
        }
        var o = Supervisor.Options()
        o.workers = workers
        o.threadsPerWorker = threadsOverride ?? threads
        o.dataRoot = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        o.clientEndpoint = "tcp://127.0.0.1:*"
        o.workerEndpoint = "tcp://127.0.0.1:*"
        o.classesDirectory = Cluster.Up.defaultClasses()
        o.logFile = o.dataRoot + ".log"
        o.quiet = true
        let supervisor = Supervisor(options: o)
        try supervisor.start()
        defer {
            supervisor.stop()
            try? FileManager.default.removeItem(atPath: o.dataRoot)
            try? FileManager.default.removeItem(atPath: o.dataRoot + ".log")
        }
        try await ClusterReadiness.wait(endpoint: supervisor.clientEndpoint, timeout: .seconds(30))
        var options = ClientOptions(endpoint: supervisor.clientEndpoint)
        options.timeout = .seconds(30)
        let client = try SepiaClient(options: options)
        defer { client.close() }
        return try await body(client)
    }
}

/// Generated or given images, uploaded once under a bench prefix.
enum ThumbCorpus {
    static func prepare(client: SepiaClient, corpus: String?) async throws -> [String] {
        let dir: String
        if let corpus {
            dir = corpus
        } else {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-bench-corpus").path
            if ImageFiles.collect([dir]).isEmpty { try SampleCorpus.generate(into: dir, count: 24) }
        }
        let files = ImageFiles.collect([dir])
        // A fresh prefix per run, so every thumbnail is made, not found.
        let run = "bench-\(UInt32.random(in: 0...UInt32.max))/"
        var names: [String] = []
        for file in files {
            let oid = run + URL(fileURLWithPath: file).lastPathComponent
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            let r = try await client.call(oid: Array(oid.utf8), className: "imgserv", method: "put", input: Bytes(data))
            if r.rc < 0 { throw ClientError.failed(Reply(id: 0, rc: r.rc, error: r.error)) }
            names.append(oid)
        }
        return names
    }
}
