import CHDF5

/// An HDF5 identifier that is closed exactly once: by `close()` or, at the latest, when the handle is released.
///
/// Every identifier MedIO opens lives in one of these, so nothing leaks even when an error is thrown halfway.
/// Pass `handle.id` straight into the C call that needs it (never keep the raw id in a local past the handle's
/// last use): the handle then stays alive for the duration of that call.
final class HDF5Handle {
    /// What kind of identifier this is, which decides the close function.
    enum Kind {
        case file, group, dataset, dataspace, datatype, propertyList, attribute
    }

    /// The raw identifier; -1 once closed.
    private(set) var id: hid_t
    /// The identifier's kind.
    let kind: Kind

    /// Takes ownership of `id` (which must be valid).
    init(_ id: hid_t, _ kind: Kind) {
        self.id = id
        self.kind = kind
    }

    /// Closes the identifier now; returns HDF5's status (negative on failure). Closing twice does nothing.
    @discardableResult
    func close() -> herr_t {
        guard id >= 0 else { return 0 }
        HDF5Library.prepareThread()
        let status: herr_t
        switch kind {
        case .file: status = H5Fclose(id)
        case .group: status = H5Gclose(id)
        case .dataset: status = H5Dclose(id)
        case .dataspace: status = H5Sclose(id)
        case .datatype: status = H5Tclose(id)
        case .propertyList: status = H5Pclose(id)
        case .attribute: status = H5Aclose(id)
        }
        id = -1
        return status
    }

    deinit {
        if close() < 0 { _ = HDF5Context.drainErrorStack() }
    }
}
