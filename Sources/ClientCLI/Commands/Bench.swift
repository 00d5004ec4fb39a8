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
          scale   a scenario (--scenario) on private clusters of 1, 2, 4 … workers up to
                  --max-workers, one worker thread each: throughput, speedup, efficiency

        Every figure is the median of --rounds repetitions; ratios are medians of the ratios
        measured side by side within each round. See bench/README.md.

        Examples:
          sepia bench noop --workers 1
          sepia bench write --workers 1 --rounds 5 --json
          sepia bench thumbs --workers 1 --corpus ./photos
          sepia bench scale --scenario thumbs --max-workers 2
        """)

    @Argument(help: "noop, echo, write, thumbs or scale.")
    var scenario: String
    @Option(name: .long, help: "Start a private cluster with this many workers (default: use the running cluster).")
    var workers: Int?
    @Option(name: .long, help: "Threads per worker of a private cluster (0: one per core).")
    var threads = 0
    @Option(name: .long, help: "Seconds per throughput measurement.")
    var seconds: Double = 2
    @Option(name: .long, help: "Requests per sequential latency measurement.")
    var requests = 2000
    @Option(name: .long, help: "Rounds: every measurement is repeated and the median reported (the scenarios compared alternate within a round).")
    var rounds = 3
    @Option(name: .long, help: "Windows (requests in flight) to measure, comma-separated.")
    var windows = "1,16,64,256"
    @Option(name: .customLong("scenario"), help: "scale: the scenario to scale (noop, write, thumbs).")
    var scenarioToScale = "thumbs"
    @Option(name: .long, help: "scale: the largest worker count.")
    var maxWorkers = 2
    @Option(name: .long, help: "thumbs: folder of images (default: generated samples).")
    var corpus: String?
    @Option(name: .long, help: "thumbs: size spec.")
    var spec = "256x256"
    @Option(name: .long, help: "thumbs and scale: images per round (the corpus repeats under new names to reach it).")
    var images = 64
    @Option(name: .long, help: "thumbs and scale: requests in flight for thumbnails.")
    var thumbWindow = 16
    @Flag(name: .long, help: "Print one JSON document.")
    var json = false
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard ["noop", "echo", "write", "thumbs", "scale"].contains(scenario) else {
            throw ValidationError("unknown scenario '\(scenario)'; expected noop, echo, write, thumbs or scale")
        }
        guard ["noop", "write", "thumbs"].contains(scenarioToScale) else {
            throw ValidationError("--scenario: noop, write or thumbs")
        }
        guard windowList.allSatisfy({ $0 >= 1 }), !windowList.isEmpty else { throw ValidationError("--windows: e.g. 1,16,64,256") }
        guard rounds >= 1, requests >= 1, seconds > 0, maxWorkers >= 1, thumbWindow >= 1, images >= 1 else {
            throw ValidationError("--rounds, --requests, --seconds, --max-workers, --images and --thumb-window must be positive")
        }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
    }

    var windowList: [Int] { windows.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        var report = BenchReport(json: json, rounds: rounds, seconds: seconds)
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
            throw CommandFailure("bench", error)
        }
        report.finish()
    }

    private func progress(_ text: String) {
        if !json { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }
    }

    private func runScenario(_ name: String, client: SepiaClient, report: inout BenchReport) async throws {
        let runner = BenchRunner(client: client, seconds: seconds)
        switch name {
        case "echo", "noop":
            // Echo and no-op alternate inside each round, so both see the same machine.
            let kinds: [(String, BenchRunner.Kind)] = name == "noop" ? [("echo", .echo), ("noop", .noop)] : [("echo", .echo)]
            var latency = kinds.map { _ in [LatencyResult]() }
            var rates = kinds.map { _ in windowList.map { _ in [Double]() } }
            for round in 1...rounds {
                progress("round \(round)/\(rounds)")
                for (k, kind) in kinds.enumerated() { latency[k].append(try await runner.latency(requests: requests, kind: kind.1)) }
                for (i, w) in windowList.enumerated() {
                    for (k, kind) in kinds.enumerated() { rates[k][i].append(try await runner.throughput(window: w, kind: kind.1)) }
                }
            }
            report.latency(names: kinds.map(\.0), latency, requests: requests)
            report.throughput(windows: windowList, names: kinds.map { "\($0.0) ops/s" }, rates, key: "throughput")
        case "write":
            var rates = [windowList.map { _ in [Double]() }, windowList.map { _ in [Double]() }]
            for round in 1...rounds {
                progress("round \(round)/\(rounds)")
                for (i, w) in windowList.enumerated() {
                    rates[0][i].append(try await runner.throughput(window: w, kind: .write(.sync)))
                    rates[1][i].append(try await runner.throughput(window: w, kind: .write(.none)))
                }
            }
            report.throughput(windows: windowList, names: ["sync tx/s", "none tx/s"], rates, key: "write")
        case "thumbs":
            let (runs, latencies, images) = try await thumbRounds(client: client)
            report.thumbs(runs, latenciesMillis: latencies, images: images, spec: spec, window: thumbWindow)
        default:
            break
        }
    }

    /// Images/s of each round. The corpus is uploaded once, before any round, as
    /// `rounds × images` objects, and each round makes the thumbnails of its own slice, so
    /// every thumbnail is made (none found) and no upload runs between rounds.
    private func thumbRounds(client: SepiaClient) async throws -> (rates: [Double], latencies: [Double], images: Int) {
        progress("thumbs: uploading \(rounds) × \(images) images")
        let all = try await ThumbCorpus.prepare(client: client, corpus: corpus, minimum: images * rounds)
        let perRound = all.count / rounds
        var rates: [Double] = [], latencies: [Double] = []
        for round in 0..<rounds {
            progress("thumbs round \(round + 1)/\(rounds)")
            let names = Array(all[(round * perRound)..<((round + 1) * perRound)])
            let (summary, elapsed) = await ThumbsMake.make(names, spec: spec, client: client, window: thumbWindow, showProgress: !json)
            guard summary.failed == 0 else {
                throw CLIError.failed("\(summary.failed) thumbnails failed: \(summary.failures.keys.sorted().joined(separator: ", "))")
            }
            rates.append(Double(summary.done + summary.already) / elapsed.inSeconds)
            latencies += summary.latenciesMillis
        }
        return (rates, latencies, perRound)
    }

    /// The same scenario on private clusters of 1, 2, 4 … workers, each worker with ONE thread,
    /// so N workers use N cores for CPU-bound work.
    private func runScale(_ report: inout BenchReport) async throws {
        var counts: [Int] = []
        var n = 1
        while n <= maxWorkers { counts.append(n); n *= 2 }
        if counts.last != maxWorkers { counts.append(maxWorkers) }
        var results: [(workers: Int, rates: [Double])] = []
        for count in counts {
            let rates = try await withCluster(workers: count, threadsOverride: 1) { client -> [Double] in
                let runner = BenchRunner(client: client, seconds: seconds)
                let kind: BenchRunner.Kind
                switch scenarioToScale {
                case "noop": kind = .noop
                case "write": kind = .write(.sync)
                default: return try await thumbRounds(client: client).rates
                }
                var rates: [Double] = []
                for _ in 1...rounds { rates.append(try await runner.throughput(window: windowList.last ?? 256, kind: kind)) }
                return rates
            }
            results.append((count, rates))
            progress("scale: \(count) worker(s): \(String(format: "%.1f", Median.of(rates)))/s (median of \(rounds))")
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
        try await ClusterReadiness.wait(endpoint: supervisor.clientEndpoint, timeout: .seconds(30), log: o.logFile)
        var options = ClientOptions(endpoint: supervisor.clientEndpoint)
        options.timeout = .seconds(30)
        let client = try SepiaClient(options: options)
        defer { client.close() }
        return try await body(client)
    }
}

/// Generated or given images, uploaded under a fresh prefix: at least `minimum` objects
/// (the files repeat under new names, copy-major, so any slice holds every file alike).
enum ThumbCorpus {
    static func prepare(client: SepiaClient, corpus: String?, minimum: Int) async throws -> [String] {
        let dir: String
        if let corpus {
            dir = corpus
        } else {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("sepia-bench-corpus").path
            if ImageFiles.collect([dir]).isEmpty { try SampleCorpus.generate(into: dir, count: 24) }
        }
        let files = ImageFiles.collect([dir]).compactMap { file in
            FileManager.default.contents(atPath: file).map { (URL(fileURLWithPath: file).lastPathComponent, Bytes($0)) }
        }
        guard !files.isEmpty else { throw CLIError.failed("no images in \(dir)") }
        // A fresh prefix per run, so every thumbnail is made, not found.
        let run = "bench-\(UInt32.random(in: 0...UInt32.max))/"
        let copies = (max(minimum, 1) + files.count - 1) / files.count
        var names: [String] = []
        for copy in 0..<copies {
            for (name, data) in files {
                let oid = run + "\(copy)-" + name
                let r = try await client.call(oid: Array(oid.utf8), className: "imgserv", method: "put", input: data)
                if r.rc < 0 { throw ClientError.failed(Reply(id: 0, rc: r.rc, error: r.error)) }
                names.append(oid)
            }
        }
        return names
    }
}
