/// Every transform a pipeline can name, by its YAML name. Adding a transform means adding its type here.
public enum AugmentationRegistry {
    /// The transform types, spatial first, then intensity, then k-space.
    public static let transforms: [any AugmentationTransform.Type] = [
        FlipAugmentation.self, Rot90Augmentation.self, AffineAugmentation.self, ElasticAugmentation.self,
        GammaAugmentation.self, ContrastAugmentation.self, GaussianNoiseAugmentation.self, RicianNoiseAugmentation.self,
        BiasFieldAugmentation.self, BlurAugmentation.self, SharpenAugmentation.self, LowResolutionAugmentation.self,
        GhostingAugmentation.self, SpikeAugmentation.self, MotionAugmentation.self,
    ]

    /// The YAML names, in registry order.
    public static var names: [String] { transforms.map { $0.name } }

    /// The type named `name`, or nil.
    public static func transform(named name: String) -> (any AugmentationTransform.Type)? {
        transforms.first { $0.name == name }
    }
}
