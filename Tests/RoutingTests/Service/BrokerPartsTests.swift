// The broker's small pieces: tag frames and latency percentiles.
import Codec
import Testing
@testable import BrokerCore

@Suite struct BrokerPartsTests {
    @Test func tagsAreEightBytesBigEndian() {
        #expect(Frames.tag(0x0102_0304_0506_0708) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Frames.tagValue([1, 2, 3, 4, 5, 6, 7, 8]) == 0x0102_0304_0506_0708)
        #expect(Frames.tagValue(Frames.tag(.max)) == .max)
        #expect(Frames.tagValue([1, 2, 3]) == nil)
    }

    @Test func reservoirKeepsRecentSamplesAndRanks() {
        var reservoir = LatencyReservoir()
        for i in 1...100 { reservoir.record(UInt64(i) * 1000) }  // 1...100 µs
        var summary = reservoir.summary()
        #expect(summary.samples == 100 && summary.p50 == 50 && summary.p90 == 90 && summary.p99 == 99 && summary.max == 100)
        // Old samples are overwritten once full: the summary describes recent replies.
        for _ in 0..<LatencyReservoir.capacity { reservoir.record(7000) }
        summary = reservoir.summary()
        #expect(summary.p50 == 7 && summary.max == 7 && reservoir.total == UInt64(100 + LatencyReservoir.capacity))
    }
}
