import CHDF5
import MedCore

/// A group in an HDF5 file: a folder of named links to groups and datasets.
///
/// Paths given to a group's methods are relative to it ("b/c"), or absolute in the file ("/cases/a").
/// External links are listed but never followed.
public final class HDF5Group: HDF5Object {
    /// The absolute path of this group ("/" for the root).
    public let path: String
    /// The file's path as the user named it.
    public var fileName: String { context.file }
    /// The group's attributes.
    public var attributes: HDF5Attributes { HDF5Attributes(owner: handle, ownerPath: path, context: context) }

    let handle: HDF5Handle
    let context: HDF5Context

    init(handle: HDF5Handle, path: String, context: HDF5Context) {
        self.handle = handle
        self.path = path
        self.context = context
    }

    // MARK: - Navigation

    /// True when `path` leads to an object (group, dataset, or other) from this group.
    public func exists(_ path: String) -> Bool { kind(at: path) != nil }

    /// What `path` leads to, or nil when nothing is there. Intermediate components must be groups; soft links
    /// that resolve count as their target, dangling ones and external links as `.other`.
    public func kind(at path: String) -> HDF5NodeKind? {
        HDF5Library.prepareThread()
        defer { _ = HDF5Context.drainErrorStack() }
        let parts = HDF5Path.components(path)
        if parts.isEmpty { return path.hasPrefix("/") ? .group : nil }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for (n, part) in parts.enumerated() {
            prefix = prefix.isEmpty ? part : (prefix.hasSuffix("/") ? prefix + part : prefix + "/" + part)
            guard H5Lexists(handle.id, prefix, ms_h5p_default()) > 0 else { return nil }
            let kind = linkTargetKind(prefix)
            if n < parts.count - 1 && kind != .group { return nil }
            if n == parts.count - 1 { return kind }
        }
        return nil
    }

    /// The kind of object an existing link leads to, without following external links.
    private func linkTargetKind(_ linkPath: String) -> HDF5NodeKind { linkTarget(linkPath).kind }

    /// The kind of object an existing link leads to and the object's address in the file (nil for external
    /// or dangling links, which are never followed).
    func linkTarget(_ linkPath: String, followSoftLinks: Bool = true) -> (kind: HDF5NodeKind, address: UInt64?) {
        defer { _ = HDF5Context.drainErrorStack() }
        var link = H5L_info_t()
        guard H5Lget_info(handle.id, linkPath, &link, ms_h5p_default()) >= 0 else { return (.other, nil) }
        guard link.type == H5L_TYPE_HARD || (followSoftLinks && link.type == H5L_TYPE_SOFT) else { return (.other, nil) }
        guard H5Oexists_by_name(handle.id, linkPath, ms_h5p_default()) > 0 else { return (.other, nil) }
        var info = H5O_info_t()
        guard H5Oget_info_by_name2(handle.id, linkPath, &info, ms_h5o_info_basic(), ms_h5p_default()) >= 0 else {
            return (.other, nil)
        }
        switch info.type {
        case H5O_TYPE_GROUP: return (.group, UInt64(info.addr))
        case H5O_TYPE_DATASET: return (.dataset, UInt64(info.addr))
        default: return (.other, UInt64(info.addr))
        }
    }

    /// The names of the links in this group, sorted.
    func linkNames() throws -> [String] {
        HDF5Library.prepareThread()
        final class Names { var list: [String] = [] }
        let names = Names()
        let status = withExtendedLifetime(names) {
            H5Literate(handle.id, H5_INDEX_NAME, H5_ITER_INC, nil, { _, name, _, data in
                guard let name, let data else { return 0 }
                Unmanaged<Names>.fromOpaque(data).takeUnretainedValue().list.append(String(cString: name))
                return 0
            }, Unmanaged.passUnretained(names).toOpaque())
        }
        try context.check(status, .corrupt, "cannot list the members of group '\(path)'")
        return names.list
    }

    /// The links in this group, sorted by name, with what each leads to.
    /// - Throws: `MedSynthError(.corrupt)` naming the file when HDF5 cannot list the group.
    public func children() throws -> [(name: String, kind: HDF5NodeKind)] {
        try linkNames().map { name in (name: name, kind: linkTargetKind(name)) }
    }

    /// Opens the group at `path`.
    /// - Throws: `MedSynthError` naming the file: `.notFound` (nothing there), `.mismatch` (not a group).
    public func group(_ path: String) throws -> HDF5Group {
        HDF5Library.prepareThread()
        try HDF5Path.validate(path, file: context.file, what: "group path")
        let target = HDF5Path.absolute(path, from: self.path)
        switch kind(at: path) {
        case .group: break
        case nil: throw MedSynthError(.notFound, context.file, "no group '\(target)'")
        case let other?: throw MedSynthError(.mismatch, context.file, "'\(target)' is a \(other.rawValue), not a group")
        }
        let h = try context.handle(H5Gopen2(handle.id, path, ms_h5p_default()), .group, .corrupt,
                                   "cannot open group '\(target)'")
        return HDF5Group(handle: h, path: target, context: context)
    }

    /// Opens the dataset at `path`.
    /// - Throws: `MedSynthError` naming the file and the dataset path: `.notFound`, `.mismatch` (not a
    ///   dataset), `.corrupt` (unreadable header).
    public func dataset(_ path: String) throws -> HDF5Dataset {
        HDF5Library.prepareThread()
        try HDF5Path.validate(path, file: context.file, what: "dataset path")
        let target = HDF5Path.absolute(path, from: self.path)
        switch kind(at: path) {
        case .dataset: break
        case nil: throw MedSynthError(.notFound, context.file, "no dataset '\(target)'")
        case let other?: throw MedSynthError(.mismatch, context.file, "'\(target)' is a \(other.rawValue), not a dataset")
        }
        let h = try context.handle(H5Dopen2(handle.id, path, ms_h5p_default()), .dataset, .corrupt,
                                   "cannot open dataset '\(target)'")
        return try HDF5Dataset(handle: h, path: target, context: context)
    }

    // MARK: - Creation

    /// Creates one new group directly in this group.
    /// - Parameter name: a single name (no "/").
    /// - Throws: `MedSynthError` naming the file: `.invalidArgument` (bad name), `.writeFailed` (exists,
    ///   read-only file).
    public func createGroup(_ name: String) throws -> HDF5Group {
        HDF5Library.prepareThread()
        try HDF5Path.validate(name, file: context.file, what: "group name")
        guard HDF5Path.components(name).count == 1, !name.contains("/") else {
            throw MedSynthError(.invalidArgument, context.file, "group name '\(name)' must be a single name; use createGroups(_:) for paths")
        }
        let target = HDF5Path.absolute(name, from: path)
        if exists(name) { throw MedSynthError(.writeFailed, context.file, "'\(target)' already exists") }
        return try makeGroup(name, target: target)
    }

    /// Opens the group at `path`, creating it and any missing groups on the way (like `mkdir -p`).
    /// - Throws: `MedSynthError(.mismatch)` when a component exists but is not a group; `.writeFailed` when
    ///   creation fails (read-only file).
    @discardableResult
    public func createGroups(_ path: String) throws -> HDF5Group {
        HDF5Library.prepareThread()
        try HDF5Path.validate(path, file: context.file, what: "group path")
        var current = path.hasPrefix("/") ? try group("/") : self
        for part in HDF5Path.components(path) {
            switch current.kind(at: part) {
            case nil: current = try current.makeGroup(part, target: HDF5Path.absolute(part, from: current.path))
            case .group?: current = try current.group(part)
            case let other?:
                throw MedSynthError(.mismatch, context.file,
                                    "'\(HDF5Path.absolute(part, from: current.path))' is a \(other.rawValue), not a group")
            }
        }
        return current
    }

    /// Creates the group `name` (which must not exist) without tracking times, so files are reproducible.
    private func makeGroup(_ name: String, target: String) throws -> HDF5Group {
        let gcpl = try context.handle(H5Pcreate(ms_h5p_group_create()), .propertyList, .writeFailed, "cannot create a property list")
        try context.check(H5Pset_obj_track_times(gcpl.id, false), .writeFailed, "cannot configure group '\(target)'")
        let h = try context.handle(H5Gcreate2(handle.id, name, ms_h5p_default(), gcpl.id, ms_h5p_default()),
                                   .group, .writeFailed, "cannot create group '\(target)'")
        return HDF5Group(handle: h, path: target, context: context)
    }
}
