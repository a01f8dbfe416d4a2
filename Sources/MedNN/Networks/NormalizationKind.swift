/// The normalisation layer a reference network uses (the reference `--norm` option).
public enum NormalizationKind: String, Codable, Sendable, CaseIterable {
    /// Instance norm without affine parameters or running statistics (the CycleGAN default).
    case instance
    /// Batch norm with affine parameters and running statistics (pix2pix).
    case batch
    /// No normalisation: an `Identity` layer keeps the index.
    case none

    /// Whether the convolutions before the normalisation have a bias. As in the reference (`use_bias =
    /// norm_layer == InstanceNorm2d`), only instance norm keeps them: batch norm makes a bias redundant, and the
    /// reference's "none" (a plain function, not the InstanceNorm2d partial) also ends up without.
    public var convolutionsUseBias: Bool { self == .instance }

    /// A fresh normalisation layer for `channels` channels.
    public func layer(channels: Int, spatialRank: Int = 2) -> any UnaryLayer {
        switch self {
        case .instance: return InstanceNorm(channels: channels, spatialRank: spatialRank)
        case .batch: return BatchNorm(channels: channels, spatialRank: spatialRank)
        case .none: return Identity()
        }
    }
}
