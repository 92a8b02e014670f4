import CNCCore
import CNCSystem
import Synchronization

/// This process's pins on the roots of containers it stops (RootPin): taken before the stop
/// signal, so the old overlay's shutdown (and its sync of the upper file system) is not part
/// of the exit a stop waits for. Each pin ends in one of three places:
/// - `start` of the same container closes it first (here, synchronously: the new mount must
///   not share its upper directory with a live overlay);
/// - a removal hands it to the detached deleter (`cnc-monitor --remove-tree`), which closes it
///   before deleting the directory;
/// - `Runtime.releaseRootPins` (the end of an apply: containers it stopped and kept) closes
///   what is left, here; a CLI's exit closes the rest (in its exit, before its parent sees it end).
enum RootfsPins {
    private static let pins = Mutex<[ContainerID: Int32]>([:])

    /// Pins `pid`'s root for container `id` (a pin it already had is kept).
    static func pin(_ id: ContainerID, pid: Int32) {
        guard pins.withLock({ $0[id] == nil }), let fd = RootPin.take(pid: pid) else { return }
        let extra = pins.withLock { h -> Int32? in
            if h[id] != nil { return fd }
            h[id] = fd
            return nil
        }
        if let extra { FD.close(extra) }
    }

    /// `id`'s pin (still held here), or nil.
    static func held(_ id: ContainerID) -> Int32? { pins.withLock { $0[id] } }

    /// Closes `id`'s pin here, if this process holds one.
    static func release(_ id: ContainerID) {
        if let fd = pins.withLock({ $0.removeValue(forKey: id) }) { FD.close(fd) }
    }

    /// The pins of `ids` (or all), no longer held here: the caller passes them on and closes them.
    static func take(_ ids: [ContainerID]? = nil) -> [Int32] {
        pins.withLock { h in
            guard let ids else {
                defer { h.removeAll() }
                return Array(h.values)
            }
            return ids.compactMap { h.removeValue(forKey: $0) }
        }
    }
}

/// What the removals of an open trash batch hand on (Runtime.beginTrashBatch): trashed
/// directories and root pins, for one deleter at the batch's end.
enum TrashItem: Sendable {
    case directory(String)
    case pin(Int32)

    static let batch = NestedBatch<TrashItem>()
}
