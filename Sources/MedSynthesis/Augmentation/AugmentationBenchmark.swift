import Foundation
import MedCore
import MedIO

/// Times every augmentation on one 256 × 256 × 128 Float32 volume (1 mm voxels, modality T1 so the MR-only
/// transforms run), the size `benchmarks/augment_peer.py` gives TorchIO, with parameters comparable to TorchIO's
/// defaults. Two timings per transform, each the median of the repetitions:
/// - *call*: draw + `step.apply(parameters, to: case)` on a case the caller keeps — what a user calling the
///   transform pays, output in new memory (TorchIO's peer call, `transform(subject)`, deep-copies the subject
///   too);
/// - *in pipeline*: draw + `step.apply(parameters, in: &workspace)` on a workspace that owns a private copy of
///   the case (made before the clock starts) and draws spare arrays from a `VoxelArrayRecycler` that earlier
///   repetitions filled — what the step costs inside `AugmentationPipeline.applyInPlace` in the steady state
///   of `medsynth augment` (one pipeline over many cases): in place where the kernel allows it, else into a
///   recycled array. Its TorchIO counterpart is the transform built with `copy=False`, timed on a private copy.
public enum AugmentationBenchmark {
    /// One transform's timings.
    public struct Entry: Codable, Sendable, Equatable {
        /// The transform's name.
        public var transform: String
        /// The TorchIO class it is compared with, if any.
        public var torchioPeer: String?
        /// Median wall time of the call (output in new memory), in milliseconds.
        public var medianMS: Double
        /// Every repetition's call time in milliseconds.
        public var timesMS: [Double]
        /// Median wall time of the step inside a pipeline that owns the case, in milliseconds.
        public var inPipelineMedianMS: Double
        /// Every repetition's in-pipeline time in milliseconds.
        public var inPipelineTimesMS: [Double]
        /// Median CPU time of the call, all threads together, in milliseconds: the work done, which waiting for a
        /// core on a shared machine does not inflate (with two busy threads it is about twice the wall time).
        public var cpuMS: Double
        /// Median CPU time of the step in a pipeline, all threads together, in milliseconds.
        public var inPipelineCPUMS: Double
        /// The x86-64 level the SIMD kernels ran at (`SIMDLevel.active`: noise, gamma, min/max).
        public var simdLevel: String
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
            let recycler = VoxelArrayRecycler()
            var generator = SeededGenerator(seed: 2024)
            var times: [Double] = [], inPipeline: [Double] = [], cpu: [Double] = [], inPipelineCPU: [Double] = []
            for rep in 0...repetitions {
                var cpuStart = processCPUMS()
                var start = DispatchTime.now().uptimeNanoseconds
                var p = step.draw(using: &generator, geometry: input.geometry)
                _ = try step.apply(p, to: input)
                let call = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                let callCPU = processCPUMS() - cpuStart

                var owned = privateCopy(of: input)
                var workspace = AugmentationWorkspace(taking: &owned, recycler: recycler)
                cpuStart = processCPUMS()
                start = DispatchTime.now().uptimeNanoseconds
                p = step.draw(using: &generator, geometry: input.geometry)
                try step.apply(p, in: &workspace)
                let stepMS = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                let stepCPU = processCPUMS() - cpuStart
                workspace.finish(into: &owned)   // the released arrays go to the recycler for the next repetition
                if rep > 0 {
                    times.append(call)
                    inPipeline.append(stepMS)
                    cpu.append(callCPU)
                    inPipelineCPU.append(stepCPU)
                }
            }
            entries.append(Entry(transform: step.name, torchioPeer: peer, medianMS: median(times), timesMS: times,
                                 inPipelineMedianMS: median(inPipeline), inPipelineTimesMS: inPipeline,
                                 cpuMS: median(cpu), inPipelineCPUMS: median(inPipelineCPU),
                                 simdLevel: SIMDKernels.level.rawValue))
        }
        return entries
    }

    /// CPU time of the whole process (all threads) in milliseconds.
    static func processCPUMS() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
    }

    /// The median (mean of the middle two for an even count).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : 0.5 * (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2])
    }

    /// A case with the same values in arrays of its own (written once, so its pages are in memory).
    static func privateCopy(of c: AugmentationCase) -> AugmentationCase {
        func copy(_ v: Volume) -> Volume {
            var out = v
            out.voxels = v.voxels.withUnsafeBufferPointer { src in
                VoxelPointers.withNewArray(voxels: src.count) { $0.update(from: src.baseAddress!, count: src.count) }
            }
            return out
        }
        return try! AugmentationCase(images: c.images.mapValues(copy), labels: c.labels.map(copy))   // `c`'s grid
    }

    /// A plain-text table of entries: transform, TorchIO peer, median ms of the call (output in new memory) and
    /// of the step in a pipeline that owns the case.
    public static func table(_ entries: [Entry]) -> String {
        var lines = ["transform        torchio peer               call ms  in-pipeline ms"]
        for e in entries {
            lines.append(e.transform.padding(toLength: 17, withPad: " ", startingAt: 0)
                         + (e.torchioPeer ?? "-").padding(toLength: 25, withPad: " ", startingAt: 0)
                         + String(format: "%9.1f %15.1f", e.medianMS, e.inPipelineMedianMS))
        }
        return lines.joined(separator: "\n")
    }
}
