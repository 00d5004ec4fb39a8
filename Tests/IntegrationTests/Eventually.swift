// One deadline-bounded poll for every test that waits on another process: no fixed sleeps.
import Foundation
import Testing

struct EventuallyTimeout: Error, CustomStringConvertible {
    let what: String
    let last: String
    var description: String { "timed out waiting for \(what)" + (last.isEmpty ? "" : " (last: \(last))") }
}

/// Polls `condition` every `interval` until it returns true or `timeout` passes; then throws
/// `EventuallyTimeout` naming `what` (and records an issue at the caller's location).
func eventually(_ what: String, timeout: Duration = .seconds(10), interval: Duration = .milliseconds(20),
                sourceLocation: SourceLocation = #_sourceLocation,
                _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    var last = ""
    while true {
        do {
            if try await condition() { return }
        } catch {
            last = String(describing: error)
        }
        if ContinuousClock.now >= deadline { break }
        try await Task.sleep(for: interval)
    }
    let failure = EventuallyTimeout(what: what, last: last)
    Issue.record("\(failure)", sourceLocation: sourceLocation)
    throw failure
}

/// Polls `produce` until it returns a value (non-nil) or `timeout` passes. Named apart from
/// `eventually`: as an overload, a multi-statement `-> Bool` closure resolved to it (T = Bool,
/// never nil) and the wait returned after the first try whatever the condition said.
func eventuallyValue<T>(_ what: String, timeout: Duration = .seconds(10), interval: Duration = .milliseconds(20),
                   sourceLocation: SourceLocation = #_sourceLocation,
                   _ produce: () async throws -> T?) async throws -> T {
    var value: T?
    try await eventually(what, timeout: timeout, interval: interval, sourceLocation: sourceLocation) {
        value = try await produce()
        return value != nil
    }
    return value!
}
