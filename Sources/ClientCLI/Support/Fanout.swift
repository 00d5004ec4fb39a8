// Runs one async job per item with at most `window` in flight: how bulk jobs fan out.
import Foundation

enum Fanout {
    /// Calls `job` for every item, keeping `window` running; `each` sees results in
    /// completion order. Returns when all are done.
    static func run<Item: Sendable, Result: Sendable>(
        _ items: [Item], window: Int,
        job: @escaping @Sendable (Item) async -> Result,
        each: (Item, Result) -> Void
    ) async {
        await withTaskGroup(of: (Item, Result).self) { group in
            var next = 0
            let width = max(1, window)
            while next < items.count && next < width {
                let item = items[next]
                group.addTask { (item, await job(item)) }
                next += 1
            }
            while let (item, result) = await group.next() {
                each(item, result)
                if next < items.count {
                    let item = items[next]
                    group.addTask { (item, await job(item)) }
                    next += 1
                }
            }
        }
    }
}
