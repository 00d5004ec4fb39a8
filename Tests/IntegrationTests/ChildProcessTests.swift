// Child processes started from many threads at once: each one's end is seen, each one's
// output ends with it, and none keeps another's descriptors.
import Foundation
import Spawn
import Testing

@Suite(.timeLimit(.minutes(2))) struct ChildProcessTests {
    /// Short programs run from 16 threads while long-lived ones start from others: every short
    /// one comes back with its own output and status (a leaked descriptor would hold its
    /// output open, or hide its end, until a long-lived one exits).
    @Test func shortChildrenEndWhileLongOnesStartBesideThem() async throws {
        let sleepers = Mutex2<[Child]>([])
        defer { for s in sleepers.with({ $0 }) { s.stop(grace: 1) } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<16 {
                group.addTask {
                    try await Blocking.run {
                        for round in 0..<10 {
                            if lane % 4 == 0 {
                                let s = try Child("/bin/sleep", ["60"], stdout: .pipe, stderr: .pipe)
                                sleepers.with { $0.append(s) }
                            }
                            let r = try Child.run("/bin/sh", ["-c", "echo \(lane)-\(round); exit \(round)"], killAfter: 30)
                            #expect(!r.killed && r.status == Int32(round) && r.text == "\(lane)-\(round)\n")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func inputReachesTheChildAndAKilledOneSaysSo() throws {
        let echoed = try Child.run("/bin/cat", input: Data("hello".utf8), killAfter: 30)
        #expect(echoed.text == "hello" && echoed.status == 0 && echoed.reason == .exit)
        let killed = try Child.run("/bin/sleep", ["30"], killAfter: 0.2)
        #expect(killed.killed && killed.reason == .uncaughtSignal && killed.status == SIGKILL)
    }

    @Test func aMissingProgramIsAnErrorNotAHang() {
        #expect(throws: Child.SpawnError.self) { try Child.run("/nonexistent/sepia-nothing") }
    }
}
