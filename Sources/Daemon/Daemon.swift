// How a Sepia daemon (sepia-broker, sepia-osd) boots and stops: logging to stderr with one
// label per daemon, SIGTERM/SIGINT as "stop gracefully", SIGPIPE ignored, and the
// exit-with-parent watch that supervisors and tests use so a killed supervisor leaves no
// daemon behind.
import ArgumentParser
import Dispatch
import Foundation
import Logging
import Synchronization

public enum Daemon {
    /// Every logger writes to stderr at `level`. Call once, first thing in `run()`.
    public static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// One line on stderr, `<daemon>: <message>`, for what stops a daemon before it logs.
    public static func complain(_ daemon: String, _ message: String) {
        FileHandle.standardError.write(Data("\(daemon): \(message)\n".utf8))
    }
}

/// When a daemon should stop: the first SIGTERM or SIGINT, or, with `exitWithParent`, the
/// moment the process that started it is gone (checked twice a second). `onStop` runs once,
/// on a global queue, with the reason; `wait()` blocks until then.
public final class DaemonLifetime: Sendable {
    private let stopped = DispatchSemaphore(value: 0)
    private let fired = Atomic<Bool>(false)
    private let onStop: @Sendable (String) -> Void
    nonisolated(unsafe) private var sources: [any DispatchSourceProtocol] = []

    public init(exitWithParent: Bool, onStop: @escaping @Sendable (String) -> Void = { _ in }) {
        self.onStop = onStop
        signal(SIGPIPE, SIG_IGN)
        var sources: [any DispatchSourceProtocol] = []
        for signo in [SIGTERM, SIGINT] {
            signal(signo, SIG_IGN)  // let the source see it instead of the default action
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { [weak self] in self?.stop(because: "signal \(signo)") }
            source.resume()
            sources.append(source)
        }
        if exitWithParent {
            let parent = getppid()
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
            // Reparented (or started after the parent was already gone: ppid 1).
            timer.setEventHandler { [weak self] in
                if getppid() != parent || parent == 1 { self?.stop(because: "the process that started it is gone") }
            }
            timer.resume()
            sources.append(timer)
        }
        self.sources = sources
    }

    /// Asks the daemon to stop, as a signal would.
    public func stop(because reason: String) {
        guard !fired.exchange(true, ordering: .acquiringAndReleasing) else { return }
        onStop(reason)
        stopped.signal()
    }

    /// Blocks until the daemon was asked to stop.
    public func wait() {
        stopped.wait()
        stopped.signal()
    }

    deinit { sources.forEach { $0.cancel() } }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
