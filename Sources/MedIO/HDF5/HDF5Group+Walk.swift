import CHDF5
import MedCore

/// Walking a group's whole subtree.
extension HDF5Group {
    /// The most objects `descendants()` lists before giving up (a guard against crafted files).
    static let maximumWalkedObjects = 1_000_000

    /// Every object below this group, depth-first in name order, reached through hard links only, each object
    /// once (the first path that reaches it, as h5py's `visit` does). Soft, external and dangling links are
    /// listed as `.other` and never followed, so an alias does not list a dataset twice.
    /// - Throws: `MedSynthError(.corrupt)` when a group cannot be listed, `.tooLarge` beyond
    ///   `maximumWalkedObjects`.
    func descendants() throws -> [(path: String, kind: HDF5NodeKind)] {
        HDF5Library.prepareThread()
        var seen = Set<UInt64>()
        var info = H5O_info_t()
        if H5Oget_info2(handle.id, &info, ms_h5o_info_basic()) >= 0 { seen.insert(UInt64(info.addr)) }
        _ = HDF5Context.drainErrorStack()
        var out: [(path: String, kind: HDF5NodeKind)] = []
        try walk(self, seen: &seen, into: &out)
        return out
    }

    private func walk(_ group: HDF5Group, seen: inout Set<UInt64>, into out: inout [(path: String, kind: HDF5NodeKind)]) throws {
        for name in try group.linkNames() {
            let target = group.linkTarget(name, followSoftLinks: false)
            if let address = target.address {
                if seen.contains(address) { continue }
                seen.insert(address)
            }
            let childPath = HDF5Path.absolute(name, from: group.path)
            out.append((path: childPath, kind: target.kind))
            if out.count > HDF5Group.maximumWalkedObjects {
                throw MedSynthError(.tooLarge, context.file, "holds more than \(HDF5Group.maximumWalkedObjects) objects")
            }
            if target.kind == .group {
                try walk(try group.group(name), seen: &seen, into: &out)
            }
        }
    }
}
