import MedCore
import MedIO
@testable import MedSynthesis

/// Shared inputs of the lesion suites: a synthetic "user" case (CT, T1, T2, FLAIR, PET with noise, an anisotropic
/// grid and an ellipsoidal brain mask) and phantom cases with lesions, rendered once.
enum LesionFixture {
    static let grid = VolumeShape(depth: 40, height: 56, width: 60)
    static let affine = Affine(spacingMM: SIMD3(1.0, 1.1, 1.5), originMM: SIMD3(-30, -31, -29))

    /// 1 inside an ellipsoid filling most of the grid, 0 outside.
    static let brainMask: Volume = {
        var m = Volume(shape: grid, filledWith: 0, affine: affine, modality: .label)
        for k in 0..<grid.depth {
            for j in 0..<grid.height {
                for i in 0..<grid.width {
                    let z = (Double(k) - 19.5) / 17, y = (Double(j) - 27.5) / 24, x = (Double(i) - 29.5) / 26
                    if x * x + y * y + z * z <= 1 { m[k, j, i] = 1 }
                }
            }
        }
        return m
    }()

    /// Host intensities with Gaussian noise: CT 30 HU, T1 800, T2 600, FLAIR 500, PET 3 SUV.
    static let images: [Volume] = {
        var g = SeededGenerator(seed: 99)
        return [(Modality.ct, 30.0, 3.0), (.t1, 800, 20), (.t2, 600, 20), (.flair, 500, 20), (.pet, 3, 0.1)].map { m, mean, sd in
            Volume(shape: grid, voxels: (0..<grid.voxelCount).map { _ in Float(mean + sd * g.nextNormal()) },
                   affine: affine, modality: m)
        }
    }()

    static func settings(subRegions: Bool = false, count: Int = 3, radius: Double = 5) -> LesionSettings {
        var s = LesionSettings()
        s.countRange = count...count
        s.subRegions = subRegions
        s.radiusMedianMM = radius
        s.radiusLogSigma = 0.2
        return s
    }

    static let userResult: LesionInsertionResult = try! VolumeLesionInserter(settings: settings())
        .insert(into: images, labels: nil, mask: brainMask, using: SeededGenerator(seed: 5))

    static let userSubRegionResult: LesionInsertionResult = try! VolumeLesionInserter(settings: settings(subRegions: true, count: 2, radius: 7))
        .insert(into: images, labels: nil, mask: brainMask, using: SeededGenerator(seed: 6))

    static let phantomSettings = HeadPhantomSettings().withShape(VolumeShape(depth: 64, height: 128, width: 128))
    static let phantom = try! HeadPhantom(settings: phantomSettings)

    static func phantomInserter(subRegions: Bool = false, radius: Double = 7) -> PhantomLesionInserter {
        try! PhantomLesionInserter(phantom: phantom, settings: settings(subRegions: subRegions, count: 3, radius: radius))
    }

    static let phantomCase: LesionedPhantomCase = try! phantomInserter().makeCase(seed: 31, index: 0)
    static let phantomSubRegionCase: LesionedPhantomCase = try! phantomInserter(subRegions: true, radius: 9).makeCase(seed: 32, index: 1)
}
