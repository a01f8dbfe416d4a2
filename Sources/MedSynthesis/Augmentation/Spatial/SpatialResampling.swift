import MedCore
import MedIO

/// Applies one coordinate map to every volume of a case in a single resampling pass: images trilinear with
/// their own minimum outside the grid (TorchIO's default padding), the label map nearest neighbour with 0
/// (background) outside. The outputs go into spare or new arrays of the workspace (resampling reads the whole
/// source while it writes).
enum SpatialResampling {
    /// Resamples all volumes of the workspace's case through `map` (see `Resampler.RowMap`).
    static func resample(_ workspace: inout AugmentationWorkspace, map: Resampler.RowMap) {
        let (names, modes) = channels(workspace.augmentationCase)
        let shape = workspace.geometry.shape
        workspace.replaceAll(images: names, labels: workspace.augmentationCase.labels != nil) { sources, destinations in
            Resampler.resample(sources: sources, modes: modes, into: destinations, shape: shape, map: map)
        }
    }

    /// Resamples all volumes through an affine map: images by `AffineRowResampler` (the same values as the
    /// general path, faster), labels as in the general path.
    static func resample(_ workspace: inout AugmentationWorkspace, affine map: VoxelAffineMap) {
        let (names, modes) = channels(workspace.augmentationCase)
        let shape = workspace.geometry.shape
        workspace.replaceAll(images: names, labels: workspace.augmentationCase.labels != nil) { sources, destinations in
            Resampler.resample(sources: sources, modes: modes, into: destinations, shape: shape, affine: map)
        }
    }

    /// The images in order, then the label map: (interpolation, fill) per volume.
    private static func channels(_ c: AugmentationCase) -> ([String], [(Resampler.Interpolation, Float)]) {
        let names = c.imageNames
        var modes = names.map { name -> (Resampler.Interpolation, Float) in (.linear, IntensityStatistics.minimum(c.images[name]!.voxels)) }
        if c.labels != nil { modes.append((.nearest, 0)) }
        return (names, modes)
    }
}
