// The backstop behind every per-request limit (docs/decisions/stuck-slot-watchdog.md). The Lua
// count hook stops scripts, and the C paths a script can reach are bounded one by one; a thread
// that is still inside one request long after its time limit is stuck in a call nothing can
// interrupt, and a thread cannot be stopped or unwound from outside. So the process replaces
// itself: every descriptor (LevelDB files and their locks, sockets) is marked close-on-exec and
// the same binary is executed again with the same arguments. The new image registers under new
// slot names, the broker drops the old slots as dead, and the request that wedged counts as lost
// on that slot (twice lost is poison, never dispatched again).
import Foundation
import Logging
import Synchronization

/// When the script call a slot is running started (0: none). Written by the slot, read by the
/// watchdog.
public final class SlotWatch: Sendable {
    private let startedAt = Atomic<UInt64>(0)

    public init() {}

    func started(now: UInt64 = DispatchTime.now().uptimeNanoseconds) { startedAt.store(max(now, 1), ordering: .releasing) }
    func finished() { startedAt.store(0, ordering: .releasing) }

    /// Runs one script call under watch. Only script calls are watched: the time limit is
    /// theirs, while primitive ops, decoding and commits are bounded by their size (a large
    /// write on a loaded machine may take longer than the limit and is not stuck).
    func watching<T>(_ call: () -> T) -> T {
        started()
        defer { finished() }
        return call()
    }
    var runningSince: UInt64? {
        let t = startedAt.load(ordering: .acquiring)
        return t == 0 ? nil : t
    }
}

public enum Watchdog {
    /// How long one request may run before its slot counts as stuck: twice the Lua time limit
    /// and a second more (the limit itself ends scripts; host calls are bounded well inside it).
    /// nil when requests have no time limit.
    public static func stuckAfterNanos(timeLimitMillis: UInt64) -> UInt64? {
        timeLimitMillis == 0 ? nil : (2 * timeLimitMillis + 1000) * 1_000_000
    }

    /// The first slot whose request has run longer than `limit`, and for how long.
    public static func stuckSlot(runningSince: [UInt64?], now: UInt64, limit: UInt64) -> (slot: Int, nanos: UInt64)? {
        for (slot, since) in runningSince.enumerated() {
            if let since, now > since, now - since > limit { return (slot, now - since) }
        }
        return nil
    }

    /// Watches the slots on a thread of its own until `stopFlag` is set and they have all left.
    /// A stuck slot replaces the process (`replaceProcess`); one stuck while stopping ends it.
    static func start(watches: [SlotWatch], limit: UInt64, stopFlag: StopFlag, logger: Logger) {
        let thread = Thread {
            var stopSeen: UInt64?
            while true {
                usleep(200_000)
                let now = DispatchTime.now().uptimeNanoseconds
                if stopFlag.isSet && stopSeen == nil { stopSeen = now }
                guard let (slot, nanos) = stuckSlot(runningSince: watches.map(\.runningSince), now: now, limit: limit) else {
                    if stopSeen != nil && watches.allSatisfy({ $0.runningSince == nil }) { return }
                    continue
                }
                let seconds = String(format: "%.1f", Double(nanos) / 1e9)
                if stopSeen != nil {
                    logger.critical("slot \(slot) stuck in one script call for \(seconds) s while stopping: exiting without it")
                    exit(70)
                }
                logger.critical("slot \(slot) stuck in one script call for \(seconds) s (a call the limits cannot interrupt): restarting this worker process")
                replaceProcess(logger: logger)
            }
        }
        thread.name = "osd-watchdog"
        thread.start()
    }

    /// The environment variable that counts replacements, so the new image's slot names differ.
    public static let incarnationVariable = "SEPIA_OSD_INCARNATION"

    /// This process's incarnation: 0 when started from outside, n after n replacements.
    public static var incarnation: Int {
        Int(ProcessInfo.processInfo.environment[incarnationVariable] ?? "") ?? 0
    }

    /// Executes this binary again with the same arguments; never returns (exits 70 when the
    /// exec itself fails, so a supervisor restarts it).
    static func replaceProcess(logger: Logger) -> Never {
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            for fd in fds.compactMap({ Int32($0) }) where fd > 2 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        setenv(incarnationVariable, String(incarnation + 1), 1)
        let arguments = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        logger.critical("cannot restart (execv: \(String(cString: strerror(errno)))): exiting")
        exit(70)
    }
}
