// The OSD worker process: N slot threads, each with its own broker connection, Lua state and
// shards. `run()` blocks until stop() (or a signal) and every slot has left gracefully.
import Foundation
import Imaging
import Scripting
import Logging

public final class OSDService: Sendable {
    public let settings: OSDSettings
    public let stopFlag = StopFlag()
    let logger: Logger

    public init(settings: OSDSettings, logger: Logger) {
        var s = settings
        if s.name.isEmpty { s.name = "\(ProcessInfoShim.hostName)-\(ProcessInfoShim.pid)" }
        // A process the watchdog replaced keeps its pid: its slots need names of their own, or
        // the broker would take them for the wedged ones.
        if Watchdog.incarnation > 0 { s.name += ".\(Watchdog.incarnation)" }
        self.settings = s
        self.logger = logger
    }

    /// Runs the slots on threads of their own (blocking C calls never run on Swift's
    /// cooperative pool) and returns when all of them have stopped.
    public func run() throws {
        try FileManager.default.createDirectory(atPath: settings.dataRoot + "/shards", withIntermediateDirectories: true)
        let policy = try Imaging.configure(policyDirectory: settings.imaging.policyDirectory)
        MagickModule.maxPixels = settings.imaging.maxPixels
        MagickModule.maxDecodeBytes = settings.imaging.maxDecodeBytes
        LogRateLimit.process.configure(bytesPerSecond: settings.logBytesPerSecond)
        logger.info("ImageMagick policy: \(policy)/policy.xml; images up to \(settings.imaging.maxPixels) pixels, \(settings.imaging.maxDecodeBytes) bytes of pixels a decode")
        let count = settings.resolvedThreads
        logger.info("sepia-osd \(settings.name): \(count) worker threads, broker \(settings.brokerEndpoint), data \(settings.dataRoot)")
        let watches = (0..<count).map { _ in SlotWatch() }
        if let limit = Watchdog.stuckAfterNanos(timeLimitMillis: settings.scripting.timeLimitMillis) {
            Watchdog.start(watches: watches, limit: limit, stopFlag: stopFlag, logger: logger)
        }
        let group = DispatchGroup()
        for i in 0..<count {
            let slot = WorkerSlot(index: i, name: settings.name, settings: settings, logger: logger, stopFlag: stopFlag,
                                  watch: watches[i])
            group.enter()
            let thread = Thread {
                slot.run()
                group.leave()
            }
            thread.stackSize = 16 << 20  // deep Lua recursion and image decoders need room
            thread.name = "osd-slot-\(i)"
            thread.start()
        }
        group.wait()
        logger.info("sepia-osd \(settings.name): stopped")
    }

    public func stop() { stopFlag.set() }
}
