// Where one shard stands in the hand-over protocol.

enum ShardOwnership: Sendable, Equatable {
    /// No live slot holds or is opening it: its requests wait.
    case unowned
    /// `assign` sent; requests wait until the slot answers `opened`.
    case opening(SlotID)
    /// Open at the slot: requests are dispatched to it.
    case serving(SlotID)
    /// `release` sent to `from`; once it answers `released`, `assign` goes to `to`. Requests
    /// wait, so the two owners never serve the shard at the same time.
    case releasing(from: SlotID, to: SlotID)

    /// The live slot that holds it or will: what the balancer keeps where it is.
    var target: SlotID? {
        switch self {
        case .unowned: nil
        case .opening(let s), .serving(let s): s
        case .releasing(_, let to): to
        }
    }
}
