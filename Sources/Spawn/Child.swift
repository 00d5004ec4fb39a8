// Child processes that never leak a descriptor into each other and are always reaped.
//
// Foundation's `Process` on Linux learns that a child ended from an unnamed socket the child
// inherits: the end of file arrives once every holder of that socket has exited. A second
// child spawned at the same moment from another thread can inherit the first one's socket
// (and any pipe made meanwhile), and then the first child's exit is never seen while the
// second one lives: `waitUntilExit()` hangs with the first child a zombie. `Child` avoids
// both: every descriptor it makes is close-on-exec, the spawned program closes everything
// above stderr before it starts, and a thread of its own blocks in `waitpid` for that one pid.
// Linux only: it relies on glibc's posix_spawn_file_actions_addclosefrom_np.
import CSpawn
import Glibc
import Foundation

public final class Child: @unchecked Sendable {
    // @unchecked Sendable: the mutable state (status, handler) is guarded by `condition`.

    /// Where one of the child's standard streams goes.
    public enum Stream {
        /// The parent's own stream.
        case inherit
        /// /dev/null.
        case null
        /// A new pipe; the parent's end is `standardInput`/`standardOutput`/`standardError`.
        case pipe
        /// An open file (for example a log opened for appending).
        case file(FileHandle)
    }

    public enum TerminationReason: Sendable, Equatable {
        case exit
        case uncaughtSignal
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let path: String
        public let errno: Int32
        public var description: String { "cannot start \(path): \(String(cString: strerror(errno)))" }
    }

    public let processIdentifier: pid_t
    public let executable: String
    /// The parent's end of each `.pipe` stream: write to `standardInput`, read the others.
    public let standardInput: FileHandle?
    public let standardOutput: FileHandle?
    public let standardError: FileHandle?

    private let condition = NSCondition()
    private var status: (code: Int32, reason: TerminationReason)?
    private var handler: (@Sendable (Child) -> Void)?

    /// Starts `executable` with `arguments` (not including the program name). `environment`
    /// nil means the parent's. `detached`: in a process group of its own, so a Ctrl-C at the
    /// parent's terminal does not reach it. `onExit` runs on a thread of its own once it ended.
    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                stdin: Stream = .null, stdout: Stream = .inherit, stderr: Stream = .inherit,
                detached: Bool = false, onExit: (@Sendable (Child) -> Void)? = nil) throws {
        self.executable = executable
        self.handler = onExit
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var parentEnds: [FileHandle?] = [nil, nil, nil]
        var childEnds: [Int32] = []
        defer { for fd in childEnds { close(fd) } }
        for (target, stream) in [(STDIN_FILENO, stdin), (STDOUT_FILENO, stdout), (STDERR_FILENO, stderr)] {
            switch stream {
            case .inherit:
                break
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
            case .file(let handle):
                posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
            case .pipe:
                var fds: [Int32] = [-1, -1]
                guard sepia_pipe_cloexec(&fds) == 0 else { throw SpawnError(path: executable, errno: errno) }
                let (childEnd, parentEnd) = target == STDIN_FILENO ? (fds[0], fds[1]) : (fds[1], fds[0])
                childEnds.append(childEnd)
                // dup2 clears close-on-exec on the copy, so the child keeps only its 0, 1, 2.
                posix_spawn_file_actions_adddup2(&actions, childEnd, target)
                parentEnds[Int(target)] = FileHandle(fileDescriptor: parentEnd, closeOnDealloc: true)
            }
        }
        // Whatever else is open in this process (other children's pipes) stays here.
        sepia_spawn_closefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The spawning thread may block signals (a daemon's signal thread does): the child
        // starts with none blocked and the default action for the ones a parent may catch.
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (detached ? POSIX_SPAWN_SETPGROUP : 0)))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in env { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, env)
        guard rc == 0 else { throw SpawnError(path: executable, errno: rc) }
        processIdentifier = pid
        standardInput = parentEnds[0]
        standardOutput = parentEnds[1]
        standardError = parentEnds[2]
        Thread.detachNewThread { [self] in reap() }
    }

    private func reap() {
        var raw: Int32 = 0
        while waitpid(processIdentifier, &raw, 0) == -1 && errno == EINTR {}
        // The wait status: low 7 bits the signal (0 for a normal exit), next byte the exit code.
        let signal = raw & 0x7f
        let ended = signal == 0 ? (code: (raw >> 8) & 0xff, reason: TerminationReason.exit)
                                : (code: signal, reason: TerminationReason.uncaughtSignal)
        condition.lock()
        status = ended
        let handler = self.handler
        self.handler = nil
        condition.broadcast()
        condition.unlock()
        handler?(self)
    }

    public var isRunning: Bool { condition.withLock { status == nil } }

    /// The exit code, or the signal that ended it (see `terminationReason`). Only after it ended.
    public var terminationStatus: Int32 { condition.withLock { precondition(status != nil, "still running"); return status!.code } }
    public var terminationReason: TerminationReason {
        condition.withLock { precondition(status != nil, "still running"); return status!.reason }
    }

    /// Blocks until the child has ended.
    public func waitUntilExit() {
        condition.lock()
        while status == nil { condition.wait() }
        condition.unlock()
    }

    /// Blocks until the child has ended or `seconds` passed; true when it ended.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while status == nil {
            if !condition.wait(until: deadline) { return status != nil }
        }
        return true
    }

    public func signal(_ signal: Int32) {
        if isRunning { kill(processIdentifier, signal) }
    }

    public func terminate() { signal(SIGTERM) }

    /// Asks it to stop (SIGTERM) and kills it (SIGKILL) if it has not ended after `grace` seconds.
    public func stop(grace: Double) {
        terminate()
        if !wait(seconds: grace) {
            signal(SIGKILL)
            waitUntilExit()
        }
    }
}

extension Child {
    /// What a program printed and how it ended.
    public struct Outcome: Sendable {
        public var status: Int32
        public var reason: TerminationReason
        public var stdout: Data
        public var stderr: Data
        /// It was still running `killAfter` seconds after it started, and was killed.
        public var killed: Bool
        public var text: String { String(decoding: stdout, as: UTF8.self) }
        public var errors: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Runs a program to its end, feeding it `input` and collecting both output streams (read
    /// concurrently, so a large output never blocks it). With `killAfter`, a program still
    /// running after that many seconds is killed and comes back `killed`.
    public static func run(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                           input: Data? = nil, killAfter: Double? = nil) throws -> Outcome {
        let child = try Child(executable, arguments, environment: environment,
                              stdin: input == nil ? .null : .pipe, stdout: .pipe, stderr: .pipe)
        let out = Collector(child.standardOutput!), err = Collector(child.standardError!)
        if let input, let handle = child.standardInput {
            // The child may exit without reading it all; a write to a closed pipe must not kill us.
            _ = Glibc.signal(SIGPIPE, SIG_IGN)
            try? handle.write(contentsOf: input)
            try? handle.close()
        }
        var killed = false
        if let killAfter, !child.wait(seconds: killAfter) {
            killed = true
            child.signal(SIGKILL)
        }
        child.waitUntilExit()
        return Outcome(status: child.terminationStatus, reason: child.terminationReason,
                       stdout: out.finish(), stderr: err.finish(), killed: killed)
    }

    /// Reads one stream to its end on a thread of its own.
    private final class Collector: @unchecked Sendable {
        // @unchecked Sendable: `data` is written once by the reader, then read after `done`.
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }
        func finish() -> Data {
            done.wait()
            return data
        }
    }
}
