// The worker's log is shared by every slot (thread) of the process and ends up on its disk, so
// besides the caps per call and per request (CallState), script log text is rate limited per
// process: a token bucket of bytes per second. Past it, lines are dropped from the worker's log
// (a reply that asked for the logs still carries them) and one notice a second says how many.
import Synchronization

/// A token bucket of log bytes per second, shared by all runtimes of the process.
public final class LogRateLimit: Sendable {
    private struct State {
        /// Bytes per second; 0: no rate limit.
        var rate: Int
        var tokens: Double
        var refilled: ContinuousClock.Instant
        var droppedLines = 0
        var droppedBytes = 0
        var lastNotice: ContinuousClock.Instant
        /// Seconds of the rate the bucket holds when full: what a quiet worker may write at once.
        static let burstSeconds = 2
        var burst: Double { Double(rate) * Double(Self.burstSeconds) }
    }
    private let state: Mutex<State>

    /// The process's limit, used by every `LuaRuntime`: none until the worker sets
    /// lua.log_bytes_per_second at start, so the setting's default lives in one place.
    public static let process = LogRateLimit(bytesPerSecond: 0)

    public init(bytesPerSecond: Int, now: ContinuousClock.Instant = .now) {
        let rate = max(0, bytesPerSecond)
        state = Mutex(State(rate: rate, tokens: Double(rate * State.burstSeconds), refilled: now, lastNotice: now))
    }

    /// Sets the rate (bytes per second, 0: none) and fills the bucket.
    public func configure(bytesPerSecond: Int, now: ContinuousClock.Instant = .now) {
        state.withLock { s in
            s = State(rate: max(0, bytesPerSecond), tokens: 0, refilled: now, lastNotice: now)
            s.tokens = s.burst
        }
    }

    /// Whether a line of `bytes` may go to the worker's log now; `notice` is a line to write
    /// first (how many were dropped since the last one), at most once a second.
    func admit(_ bytes: Int, now: ContinuousClock.Instant = .now) -> (admitted: Bool, notice: String?) {
        state.withLock { s in
            guard s.rate > 0 else { return (true, nil) }
            let elapsed = now - s.refilled
            if elapsed > .zero {
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                s.tokens = min(s.burst, s.tokens + seconds * Double(s.rate))
                s.refilled = now
            }
            let admitted = s.tokens >= Double(bytes)
            if admitted {
                s.tokens -= Double(bytes)
            } else {
                s.droppedLines += 1
                s.droppedBytes += bytes
            }
            return (admitted, Self.notice(&s, now: now))
        }
    }

    /// The pending notice, if a second has passed since the last one (a call's end asks too).
    func pendingNotice(now: ContinuousClock.Instant = .now) -> String? {
        state.withLock { s in Self.notice(&s, now: now) }
    }

    private static func notice(_ s: inout State, now: ContinuousClock.Instant) -> String? {
        guard s.droppedLines > 0, now - s.lastNotice >= .seconds(1) else { return nil }
        defer {
            s.droppedLines = 0
            s.droppedBytes = 0
            s.lastNotice = now
        }
        return "log rate limit: \(s.droppedLines) lines (\(s.droppedBytes) bytes) dropped from the worker's log"
            + " past lua.log_bytes_per_second (\(s.rate))"
    }
}
