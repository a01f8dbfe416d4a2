import Foundation
import MedCore
import MedIO

/// Times every augmentation on one 256 × 256 × 128 Float32 volume (1 mm voxels, modality T1 so the MR-only
/// transforms run), the size `benchmarks/augment_peer.py` gives TorchIO. Each timing is draw + apply with
/// parameters comparable to TorchIO's defaults, the median of the repetitions.
public enum AugmentationBenchmark {
    /// One transform's timing.
    public struct Entry: Codable, Sendable, Equatable {
        /// The transform's name.
        public var transform: String
        /// The TorchIO class it is compared with, if any.
        public var torchioPeer: String?
        /// Median wall time in milliseconds.
        public var medianMS: Double
        /// Every repetition's wall time in milliseconds.
        public var timesMS: [Double]
    }

    /// The benchmark grid.
    public static let shape = VolumeShape(depth: 128, height: 256, width: 256)

    /// A smooth, deterministic test volume: a bright ellipsoid with sinusoidal texture on a dark background.
    public static func makeVolume(shape: VolumeShape = shape) -> Volume {
        var v = [Float](repeating: 0, count: shape.voxelCount)
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        v.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            Parallel.forEachChunk(count: d) { slices in
                for k in slices { for j in 0..<h { for i in 0..<w {
                    let x = 2 * Double(i) / Double(w) - 1, y = 2 * Double(j) / Double(h) - 1, z = 2 * Double(k) / Double(d) - 1
                    let r = x * x / 0.64 + y * y / 0.81 + z * z / 0.7
                    base[(k * h + j) * w + i] = r < 1 ? Float(400 + 120 * sin(9 * x) * cos(7 * y) + 60 * sin(5 * z)) : 5
                } } }
            }
        }
        return Volume(shape: shape, voxels: v, affine: Affine(spacingMM: SIMD3(1, 1, 1)), modality: .t1)
    }

    /// The transforms benchmarked, with their TorchIO peers: (step, peer class).
    public static func cases() throws -> [(AugmentationStep, String?)] {
        var elastic = ElasticAugmentation.Settings()
        elastic.displacementMM = AxisRanges(all: ValueRange(-7.5, 7.5))
        var noise = GaussianNoiseAugmentation.Settings()
        noise.standardDeviation = ValueRange(10, 10)
        var affine = AffineAugmentation.Settings()
        affine.translationMM = AxisRanges(all: ValueRange(-5, 5))
        var flip = FlipAugmentation.Settings()
        flip.probabilityPerAxis = 1
        var blur = BlurAugmentation.Settings()
        blur.sigmaMM = AxisRanges(all: ValueRange(1, 2))
        var ghost = GhostingAugmentation.Settings()
        ghost.axes = [.height]
        var rot = Rot90Augmentation.Settings()
        rot.quarterTurns = [1]
        return [
            (try AugmentationStep(FlipAugmentation(settings: flip)), "RandomFlip"),
            (try AugmentationStep(Rot90Augmentation(settings: rot)), nil),
            (try AugmentationStep(AffineAugmentation(settings: affine)), "RandomAffine"),
            (try AugmentationStep(ElasticAugmentation(settings: elastic)), "RandomElasticDeformation"),
            (try AugmentationStep(GammaAugmentation()), "RandomGamma"),
            (try AugmentationStep(ContrastAugmentation()), nil),
            (try AugmentationStep(GaussianNoiseAugmentation(settings: noise)), "RandomNoise"),
            (try AugmentationStep(RicianNoiseAugmentation()), nil),
            (try AugmentationStep(BiasFieldAugmentation()), "RandomBiasField"),
            (try AugmentationStep(BlurAugmentation(settings: blur)), "RandomBlur"),
            (try AugmentationStep(SharpenAugmentation()), nil),
            (try AugmentationStep(LowResolutionAugmentation()), "RandomAnisotropy"),
            (try AugmentationStep(GhostingAugmentation(settings: ghost)), "RandomGhosting"),
            (try AugmentationStep(SpikeAugmentation()), "RandomSpike"),
            (try AugmentationStep(MotionAugmentation()), "RandomMotion"),
        ]
    }

    /// Runs the benchmark.
    /// - Parameters:
    ///   - repetitions: timed runs per transform (≥ 1); one untimed warm-up run precedes them.
    ///   - shape: the grid (the default matches the TorchIO script).
    ///   - only: transform names to run (all when nil).
    /// - Returns: one entry per transform.
    /// - Throws: `MedSynthError(.invalidArgument)` for repetitions < 1; a transform's error.
    public static func run(repetitions: Int, shape: VolumeShape = shape, only: [String]? = nil) throws -> [Entry] {
        guard repetitions >= 1 else {
            throw MedSynthError(.invalidArgument, "repetitions", "is \(repetitions); expected at least 1")
        }
        let input = try AugmentationCase(images: ["T1": makeVolume(shape: shape)])
        var entries: [Entry] = []
        for (step, peer) in try cases() where only?.contains(step.name) ?? true {
            var generator = SeededGenerator(seed: 2024)
            var times: [Double] = []
            for rep in 0...repetitions {
                let start = DispatchTime.now().uptimeNanoseconds
                let p = step.draw(using: &generator, geometry: input.geometry)
                _ = try step.apply(p, to: input)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                if rep > 0 { times.append(ms) }
            }
            let sorted = times.sorted()
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2]
                : 0.5 * (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2])
            entries.append(Entry(transform: step.name, torchioPeer: peer, medianMS: median, timesMS: times))
        }
        return entries
    }

    /// A plain-text table of entries: transform, TorchIO peer, median ms.
    public static func table(_ entries: [Entry]) -> String {
        var lines = ["transform        torchio peer               median ms"]
        for e in entries {
            lines.append(e.transform.padding(toLength: 17, withPad: " ", startingAt: 0)
                         + (e.torchioPeer ?? "-").padding(toLength: 27, withPad: " ", startingAt: 0)
                         + String(format: "%9.1f", e.medianMS))
        }
        return lines.joined(separator: "\n")
    }
}
