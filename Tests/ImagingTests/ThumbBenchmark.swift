// Not a test: thumbnail throughput, run only with SEPIA_BENCH=1 (see bench/thumbs-baseline.sh).
//   SEPIA_BENCH_DIR    folder of JPEGs (made with SampleImages when missing or empty)
//   SEPIA_BENCH_SPEC   size spec, default 256x256
//   SEPIA_BENCH_THREADS  parallel threads, default 1 (compare with tools limited alike)
//   SEPIA_BENCH_FILTER resize filter (triangle, box, lanczos...), default triangle
//   SEPIA_BENCH_OUT    folder to write the thumbnails to, for a look or a quality check
//   SEPIA_BENCH_ROUNDS passes over the folder, default 5 (the mean is printed)
import Codec
import Foundation
import Imaging
import Testing

@Suite struct ThumbBenchmark {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["SEPIA_BENCH"] == "1"))
    func thumbsPerSecond() throws {
        let env = Self.environment
        let directory = env["SEPIA_BENCH_DIR"] ?? NSTemporaryDirectory() + "sepia-bench-corpus"
        let spec = try ThumbSpec(env["SEPIA_BENCH_SPEC"] ?? "256x256")
        let threads = max(1, Int(env["SEPIA_BENCH_THREADS"] ?? "1") ?? 1)
        let filter = try #require(Image.Filter(rawValue: env["SEPIA_BENCH_FILTER"] ?? "triangle"))
        let output = env["SEPIA_BENCH_OUT"]
        var names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        names = names.filter { $0.lowercased().hasSuffix(".jpg") }.sorted()
        if names.isEmpty {
            let start = ContinuousClock.now
            try SampleImages.write(count: 20, into: directory)
            print("bench: generated 20 sample images in \(directory) in \(ContinuousClock.now - start)")
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jpg") }.sorted()
        }
        let files = names
        let blobs = try files.map { try Bytes(Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0))) }
        _ = try Imaging.thumb(blob: blobs[0], spec: spec)  // warm up: genesis, coder modules

        // Threads take the next image from a shared counter, as worker threads take requests
        // (a fixed stride would give one thread all the 12 MP images of the corpus). The
        // mean over `rounds` passes smooths out a shared machine.
        let rounds = max(1, Int(env["SEPIA_BENCH_ROUNDS"] ?? "5") ?? 5)
        let work = Work(count: blobs.count * rounds)
        let start = ContinuousClock.now, cpuStart = Self.cpuSeconds()
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let job = work.next() {
                let index = job % blobs.count
                do {
                    let thumb = try Imaging.thumb(blob: blobs[index], spec: spec, filter: filter)
                    if let output {
                        _ = FileManager.default.createFile(atPath: output + "/" + files[index], contents: Data(thumb))
                    }
                } catch {
                    work.fail("\(files[index]): \(error)")
                }
            }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1) / Double(rounds)
        let cpu = (Self.cpuSeconds() - cpuStart) / Double(rounds)
        #expect(work.failures.isEmpty, "\(work.failures)")
        print(String(format: "bench: sepia in-process thumb %@ %@: %d images, %d thread(s), %.2f s, %.2f images/s, %.2f cpu-s, %.2f images/cpu-s",
                     spec.text, filter.rawValue, blobs.count, threads, seconds, Double(blobs.count) / seconds,
                     cpu, Double(blobs.count) / cpu))
    }

    /// User + system CPU time of this process: steadier than wall time on a shared VM.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        return user + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}

/// The benchmark's shared job counter and failure list.
///
/// `@unchecked Sendable`: both stored properties are only touched while `lock` is held.
private final class Work: @unchecked Sendable {
    private let lock = NSLock()
    private let count: Int
    private var taken = 0
    private var failed: [String] = []

    init(count: Int) { self.count = count }

    func next() -> Int? {
        lock.withLock {
            guard taken < count else { return nil }
            defer { taken += 1 }
            return taken
        }
    }

    func fail(_ item: String) { lock.withLock { failed.append(item) } }
    var failures: [String] { lock.withLock { failed } }
}
