// A flag set once (on SIGTERM/SIGINT or stop()) and read by every slot thread.
import Synchronization

public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isSet: Bool { flag.load(ordering: .acquiring) }
    public func set() { flag.store(true, ordering: .releasing) }
}
