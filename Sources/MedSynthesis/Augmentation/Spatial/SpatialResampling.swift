import MedCore
import MedIO

/// Applies one coordinate map to every volume of a case in a single resampling pass: images trilinear with
/// their own minimum outside the grid (TorchIO's default padding), the label map nearest neighbour with 0
/// (background) outside.
enum SpatialResampling {
    /// Resamples all volumes of `augmentationCase` through `map` (see `Resampler.RowMap`).
    static func resample(_ augmentationCase: AugmentationCase, map: Resampler.RowMap) -> AugmentationCase {
        let names = augmentationCase.imageNames
        var channels = names.map { name -> Resampler.Channel in
            let v = augmentationCase.images[name]!.voxels
            return Resampler.Channel(source: v, interpolation: .linear, fill: IntensityStatistics.minimum(v))
        }
        if let labels = augmentationCase.labels {
            channels.append(Resampler.Channel(source: labels.voxels, interpolation: .nearest, fill: 0))
        }
        let outputs = Resampler.resample(channels, shape: augmentationCase.geometry.shape, map: map)
        var out = augmentationCase
        for (n, name) in names.enumerated() { out.setImageVoxels(name, outputs[n]) }
        if augmentationCase.labels != nil { out.setLabelVoxels(outputs[names.count]) }
        return out
    }
}
