import MedIO
import MedTraining

/// A translated volume with the windows that took it into the network's range and back.
public struct TranslatedVolume: Sendable {
    /// The output: the input's shape and affine, the direction's output modality, voxels in its unit (HU, SUV,
    /// or the training's typical MR window).
    public var volume: Volume
    /// The window fitted to the input (a fixed CT/PET window, or this volume's MR percentiles / z-score).
    public var inputMapping: IntensityMapping
    /// The window that mapped the generator's [−1, 1] output to physical values.
    public var outputMapping: IntensityMapping
    /// The slice size the generator saw (height, width) after padding.
    public var paddedSize: (height: Int, width: Int)
    /// Seconds the translation took (normalisation, network, mapping back).
    public var seconds: Double
}
