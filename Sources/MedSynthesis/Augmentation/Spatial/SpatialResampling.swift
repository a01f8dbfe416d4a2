import MedCore
import MedIO

/// Applies one coordinate map to every volume of a case in a single resampling pass: images trilinear with
/// their own minimum outside the grid (TorchIO's default padding), the label map nearest neighbour with 0
/// (background) outside. The outputs go into spare or new arrays of the workspace (resampling reads the whole
/// source while it writes).
enum SpatialResampling {
    /// Resamples all volumes of the workspace's case through `map` (see `Resampler.RowMap`).
    static func resample(_ workspace: inout AugmentationWorkspace, map: Resampler.RowMap) {
        let c = workspace.augmentationCase
        let names = c.imageNames
        var modes = names.map { name -> (Resampler.Interpolation, Float) in (.linear, IntensityStatistics.minimum(c.images[name]!.voxels)) }
        if c.labels != nil { modes.append((.nearest, 0)) }
        let shape = c.geometry.shape
        workspace.replaceAll(images: names, labels: c.labels != nil) { sources, destinations in
            Resampler.resample(sources: sources, modes: modes, into: destinations, shape: shape, map: map)
        }
    }
}
