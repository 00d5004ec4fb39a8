// A progress bar on stderr with done/failed counts, rate and ETA. Redrawn at most 10 times a
// second, only when stderr is a terminal (logs and CI output stay clean).
import Foundation

final class ProgressBar: @unchecked Sendable {
    // @unchecked Sendable: every field is guarded by the lock.
    private let lock = NSLock()
    private let total: Int
    private let label: String
    private var done = 0
    private var failed = 0
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private let started = ContinuousClock.now
    private let enabled: Bool

    init(total: Int, label: String, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.total = total
        self.label = label
        self.enabled = enabled
    }

    func advance(failed isFailure: Bool = false) {
        lock.withLock {
            if isFailure { failed += 1 } else { done += 1 }
            let now = ContinuousClock.now
            if enabled && (now - lastDraw >= .milliseconds(100) || done + failed == total) {
                lastDraw = now
                draw(now: now)
            }
        }
    }

    func finish() {
        lock.withLock {
            if enabled {
                draw(now: .now)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
    }

    var elapsed: Duration { ContinuousClock.now - started }

    private func draw(now: ContinuousClock.Instant) {
        let count = done + failed
        let seconds = max(1e-9, (now - started).inSeconds)
        let rate = Double(count) / seconds
        let fraction = total > 0 ? Double(count) / Double(total) : 1
        let width = 28
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let eta = rate > 0 ? Double(total - count) / rate : 0
        let line = String(format: "\r%@ %@ %d/%d  done %d  failed %d  %.1f/s  ETA %@ ",
                          label, bar, count, total, done, failed, rate, Self.clock(eta))
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

extension Duration {
    var millis: Double { inSeconds * 1000 }
}

/// Percentiles of a sample (nearest rank).
enum Percentiles {
    static func of(_ values: [Double], _ ps: [Double]) -> [Double] {
        guard !values.isEmpty else { return ps.map { _ in 0 } }
        let sorted = values.sorted()
        return ps.map { p in sorted[min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))] }
    }
}
