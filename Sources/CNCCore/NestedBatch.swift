import Synchronization

/// A batch that nests: while one is open, `collect` keeps what the caller would act on at once
/// (wait for, hand to a helper), and the outermost `end` returns everything kept, once, for one
/// action. The network's veth waits (NetworkManager.beginVethBatch) and the runtime's trash
/// (Runtime.beginTrashBatch) both batch this way.
public final class NestedBatch<Item: Sendable>: Sendable {
    private let state = Mutex<(depth: Int, items: [Item])>((0, []))

    public init() {}

    public func begin() { state.withLock { $0.depth += 1 } }

    /// True when a batch is open and kept `items` (the caller then does nothing with them now).
    public func collect(_ items: [Item]) -> Bool {
        state.withLock { s in
            guard s.depth > 0 else { return false }
            s.items += items
            return true
        }
    }

    /// Takes back the first kept item that matches; true when there was one.
    public func takeFirst(where matches: (Item) -> Bool) -> Bool {
        state.withLock { s in
            guard let i = s.items.firstIndex(where: matches) else { return false }
            s.items.remove(at: i)
            return true
        }
    }

    /// Closes one level: the outermost end returns what was kept (and forgets it), an inner one
    /// returns nothing.
    public func end() -> [Item] {
        state.withLock { s in
            s.depth = max(0, s.depth - 1)
            guard s.depth == 0 else { return [] }
            defer { s.items = [] }
            return s.items
        }
    }
}
