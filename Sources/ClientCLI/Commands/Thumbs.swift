// `sepia thumbs put|make|get`: the batch thumbnail service. Images are objects; thumbnails are
// made inside the workers by the installed class `imgserv` (classes/imgserv.lua), stored in
// the same object and indexed in its omap by spec.
import ArgumentParser
import Client
import Codec
import Foundation

struct Thumbs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload images, make thumbnails in bulk inside the workers, fetch them.",
        discussion: """
        Examples:
          sepia thumbs put ./photos --prefix img/
          sepia thumbs make --spec 256x256 --prefix img/ --window 64
          sepia thumbs get img/cat.jpg --spec 256x256 -o cat-256.jpg
        """,
        subcommands: [ThumbsPut.self, ThumbsMake.self, ThumbsGet.self, ThumbsSamples.self])
}

/// One item's outcome in a batch.
enum ItemOutcome: Sendable {
    case done(latency: Duration)
    case alreadyThere(latency: Duration)
    case failed(reason: String)
}

/// Tallies a batch and prints the summary table.
struct BatchSummary {
    var done = 0
    var already = 0
    var failures: [String: Int] = [:]
    var failedItems: [(String, String)] = []
    var latenciesMillis: [Double] = []

    mutating func add(_ name: String, _ outcome: ItemOutcome) {
        switch outcome {
        case .done(let l): done += 1; latenciesMillis.append(l.millis)
        case .alreadyThere(let l): already += 1; latenciesMillis.append(l.millis)
        case .failed(let reason):
            failures[reason, default: 0] += 1
            failedItems.append((name, reason))
        }
    }

    var failed: Int { failedItems.count }

    func print(title: String, elapsed: Duration, json: Bool) {
        let total = done + already + failed
        let rate = Double(total) / max(elapsed.inSeconds, 1e-9)
        let p = Percentiles.of(latenciesMillis, [50, 99])
        if json {
            JSONOutput.print([
                "total": total, "done": done, "already_there": already, "failed": failed,
                "failures": failedItems.map { ["oid": $0.0, "reason": $0.1] },
                "seconds": elapsed.inSeconds, "images_per_second": rate,
                "p50_ms": p[0], "p99_ms": p[1],
            ])
            return
        }
        var rows = [["", ""]]
        rows = [
            [title, ""],
            ["items", "\(total)"],
            ["done", "\(done)"],
            ["already there", "\(already)"],
            ["failed", "\(failed)"],
            ["time", String(format: "%.2f s", elapsed.inSeconds)],
            ["rate", String(format: "%.1f images/s", rate)],
            ["latency p50", String(format: "%.1f ms", p[0])],
            ["latency p99", String(format: "%.1f ms", p[1])],
        ]
        for line in Table.render(rows) { Swift.print(line) }
        for (reason, count) in failures.sorted(by: { $0.value > $1.value }) {
            Swift.print("  failed ×\(count): \(reason)")
        }
        for (name, reason) in failedItems.prefix(10) { Swift.print("    \(name): \(reason)") }
    }
}

struct BatchOptions: ParsableArguments {
    @Option(name: .long, help: "Requests in flight at once.")
    var window = 64
    @Flag(name: .long, help: "Print the summary as one JSON object.")
    var json = false

    func validate() throws {
        guard (1...4096).contains(window) else { throw ValidationError("--window must be between 1 and 4096") }
    }
}

struct ThumbsPut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Upload images: one object per image, named PREFIX + file name.")
    @Argument(help: "Image files or folders (their *.jpg, *.jpeg, *.png, *.gif, *.webp, *.tif files).")
    var paths: [String]
    @Option(name: .long, help: "Prefix of the object names.")
    var prefix = ""
    @OptionGroup var batch: BatchOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        // A mistyped path must not shrink the batch silently.
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no such file or folder: \(path)")
        }
    }

    func run() async throws {
        let files = ImageFiles.collect(paths)
        guard !files.isEmpty else { throw CommandFailure("thumbs put", CLIError.usage("no image files in \(paths.joined(separator: " "))")) }
        let client: SepiaClient
        do { client = try connection.makeClient() } catch { throw CommandFailure("thumbs put", error) }
        let bar = ProgressBar(total: files.count, label: "upload")
        var summary = BatchSummary()
        let prefix = self.prefix
        await Fanout.run(files, window: batch.window, job: { (file: String) -> ItemOutcome in
            guard let data = FileManager.default.contents(atPath: file) else { return .failed(reason: "cannot read file") }
            let oid = prefix + URL(fileURLWithPath: file).lastPathComponent
            let started = ContinuousClock.now
            do {
                let r = try await client.call(oid: Array(oid.utf8), className: "imgserv", method: "put", input: Bytes(data))
                if r.rc < 0 { return .failed(reason: ThumbReasons.describe(r)) }
                return .done(latency: ContinuousClock.now - started)
            } catch {
                return .failed(reason: "\(error)")
            }
        }, each: { (file: String, outcome: ItemOutcome) in
            summary.add(prefix + URL(fileURLWithPath: file).lastPathComponent, outcome)
            if case .failed = outcome { bar.advance(failed: true) } else { bar.advance() }
        })
        bar.finish()
        summary.print(title: "thumbs put", elapsed: bar.elapsed, json: batch.json)
        if summary.failed > 0 { throw ExitCode(1) }
    }
}

struct ThumbsMake: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make",
        abstract: "Make a thumbnail of every image (by prefix or by name) inside the workers.",
        discussion: "Spec grammar: WxH (fit), WxH^ (fill), WxH! (exact), WxH# (fill + centre crop), N%, Wx, xH.")
    @Option(name: .long, help: "Size spec, e.g. 256x256.")
    var spec: String
    @Option(name: .long, help: "Every object whose name starts with this prefix.")
    var prefix: String?
    @Argument(help: "Object names (instead of --prefix).")
    var oids: [String] = []
    @OptionGroup var batch: BatchOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if prefix == nil && oids.isEmpty { throw ValidationError("give --prefix P or object names") }
        if prefix != nil && !oids.isEmpty { throw ValidationError("give --prefix or object names, not both") }
    }

    func run() async throws {
        let client: SepiaClient
        do { client = try connection.makeClient() } catch { throw CommandFailure("thumbs make", error) }
        var names = oids
        if let prefix {
            do {
                try await client.listObjects(prefix: Array(prefix.utf8)) { page in
                    names += page.map { String(decoding: $0, as: UTF8.self) }
                }
            } catch {
                throw CommandFailure("thumbs make", error)
            }
            if names.isEmpty { throw CommandFailure("thumbs make", CLIError.failed("no objects start with '\(prefix)'")) }
        }
        let summary = await Self.make(names, spec: spec, client: client, window: batch.window)
        summary.0.print(title: "thumbs make \(spec)", elapsed: summary.1, json: batch.json)
        if summary.0.failed > 0 { throw ExitCode(1) }
    }

    /// Fans out `imgserv.thumb` over `names` with `window` in flight.
    static func make(_ names: [String], spec: String, client: SepiaClient, window: Int,
                     showProgress: Bool = true) async -> (BatchSummary, Duration) {
        let bar = ProgressBar(total: names.count, label: "thumbs", enabled: showProgress && isatty(STDERR_FILENO) == 1)
        var summary = BatchSummary()
        let input = Bytes(spec.utf8)
        await Fanout.run(names, window: window, job: { (name: String) -> ItemOutcome in
            let started = ContinuousClock.now
            do {
                let r = try await client.call(oid: Array(name.utf8), className: "imgserv", method: "thumb", input: input)
                let latency = ContinuousClock.now - started
                if r.rc < 0 { return .failed(reason: ThumbReasons.describe(r)) }
                return r.rc == 1 ? .alreadyThere(latency: latency) : .done(latency: latency)
            } catch {
                return .failed(reason: "\(error)")
            }
        }, each: { (name: String, outcome: ItemOutcome) in
            summary.add(name, outcome)
            if case .failed = outcome { bar.advance(failed: true) } else { bar.advance() }
        })
        bar.finish()
        return (summary, bar.elapsed)
    }
}

struct ThumbsGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Fetch one thumbnail (or the original with --spec original).")
    @Argument(help: "Object name.") var oid: String
    @Option(name: .long, help: "Size spec the thumbnail was made with, or `original`.") var spec: String
    @Option(name: .short, help: "Write the image to this file (default: stdout).") var o: String?
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        do {
            let client = try connection.makeClient()
            let r = try await client.call(oid: Array(oid.utf8), className: "imgserv", method: "get", input: Bytes(spec.utf8),
                                          options: RequestOptions(readOnly: true))
            if r.rc < 0 { throw CommandFailure("thumbs get", reply: Reply(id: 0, rc: r.rc, error: r.error)) }
            if let o {
                guard FileManager.default.createFile(atPath: o, contents: Data(r.output)) else { throw CLIError.failed("cannot write \(o)") }
            } else {
                FileHandle.standardOutput.write(Data(r.output))
            }
        } catch {
            throw CommandFailure("thumbs get", error)
        }
    }
}

enum ThumbReasons {
    static func describe(_ r: CallResult) -> String {
        let name = Errno(code: r.rc)?.name ?? "E?"
        return "\(name) (\(r.rc)) \(r.error?.kind.rawValue ?? "rc"): \(r.error?.message ?? "")"
    }
}

enum ImageFiles {
    static let extensions: Set<String> = ["jpg", "jpeg", "png", "gif", "webp", "tif", "tiff", "bmp"]

    static func collect(_ paths: [String]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { continue }
            if isDir.boolValue {
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                for e in entries.sorted() where extensions.contains(URL(fileURLWithPath: e).pathExtension.lowercased()) {
                    files.append(path + "/" + e)
                }
            } else {
                files.append(path)
            }
        }
        return files
    }
}

struct ThumbsSamples: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples", abstract: "Make sample JPEGs in a folder (for demos and benchmarks; no network).")
    @Argument(help: "Folder to write into.") var directory: String
    @Option(name: .long, help: "How many images.") var count = 40
    @Option(name: .long, help: "Sizes to cycle through, e.g. 1600x1200,1024x768 (default 4000x3000,1920x1080).")
    var sizes: String?

    func validate() throws {
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000") }
        if let sizes, SampleCorpus.parseSizes(sizes) == nil {
            throw ValidationError("--sizes: expected WxH[,WxH...] with sides from 16 to 20000, got '\(sizes)'")
        }
    }

    func run() async throws {
        do {
            try SampleCorpus.generate(into: directory, count: count, sizes: sizes.flatMap(SampleCorpus.parseSizes))
            print("wrote \(count) images to \(directory)")
        } catch {
            throw CommandFailure("thumbs samples", error)
        }
    }
}
