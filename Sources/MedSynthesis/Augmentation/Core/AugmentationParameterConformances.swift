// Every transform's drawn parameters can stand in a record (`AppliedAugmentation.parameters`).
extension FlipAugmentation.Parameters: AugmentationParameterValue {}
extension Rot90Augmentation.Parameters: AugmentationParameterValue {}
extension AffineAugmentation.Parameters: AugmentationParameterValue {}
extension ElasticAugmentation.Parameters: AugmentationParameterValue {}
extension GammaAugmentation.Parameters: AugmentationParameterValue {}
extension ContrastAugmentation.Parameters: AugmentationParameterValue {}
// Also RicianNoiseAugmentation.Parameters (the same type).
extension GaussianNoiseAugmentation.Parameters: AugmentationParameterValue {}
// BiasFieldAugmentation.Parameters.
extension BiasField: AugmentationParameterValue {}
extension BlurAugmentation.Parameters: AugmentationParameterValue {}
extension SharpenAugmentation.Parameters: AugmentationParameterValue {}
extension LowResolutionAugmentation.Parameters: AugmentationParameterValue {}
extension GhostingAugmentation.Parameters: AugmentationParameterValue {}
extension SpikeAugmentation.Parameters: AugmentationParameterValue {}
extension MotionAugmentation.Parameters: AugmentationParameterValue {}
