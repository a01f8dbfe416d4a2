import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedKernels
@testable import MedSynthesis

/// The in-place paths (`AugmentationWorkspace`) and the fast kernels behind them, each against a plain reference.
@Suite struct AugmentInPlaceTests {
    /// One step of every transform with settings that make it change the fixture visibly.
    static func everyTransform() throws -> [AugmentationStep] {
        var blur = BlurAugmentation.Settings(), sharpen = SharpenAugmentation.Settings(), flip = FlipAugmentation.Settings()
        blur.sigmaMM = AxisRanges(all: ValueRange(3, 5))
        sharpen.sigmaMM = ValueRange(4, 6)
        sharpen.amount = ValueRange(0.5, 1)
        flip.axes = [.width, .height, .depth]
        flip.probabilityPerAxis = 1
        var rot = Rot90Augmentation.Settings()
        rot.quarterTurns = [1]
        return [
            try AugmentationStep(FlipAugmentation(settings: flip)), try AugmentationStep(Rot90Augmentation(settings: rot)),
            try AugmentationStep(AffineAugmentation()), try AugmentationStep(ElasticAugmentation()),
            try AugmentationStep(GammaAugmentation()), try AugmentationStep(ContrastAugmentation()),
            try AugmentationStep(GaussianNoiseAugmentation()), try AugmentationStep(RicianNoiseAugmentation()),
            try AugmentationStep(BiasFieldAugmentation()), try AugmentationStep(BlurAugmentation(settings: blur)),
            try AugmentationStep(SharpenAugmentation(settings: sharpen)), try AugmentationStep(LowResolutionAugmentation()),
            try AugmentationStep(GhostingAugmentation()), try AugmentationStep(SpikeAugmentation()),
            try AugmentationStep(MotionAugmentation()),
        ]
    }

    /// Every transform gives the same bytes in place (on a case the workspace owns) as out of place, and the
    /// out-of-place call leaves its input alone.
    @Test func inPlaceEqualsOutOfPlace() throws {
        let c = AugmentFixture.augmentationCase
        let snapshot = c.images.mapValues(\.voxels)
        var g = SeededGenerator(seed: 17)
        for step in try Self.everyTransform() {
            let p = step.draw(using: &g, geometry: c.geometry)
            let copied = try step.apply(p, to: c)
            var owned = Self.deepCopy(c)
            var workspace = AugmentationWorkspace(taking: &owned)
            try step.apply(p, in: &workspace)
            // A second step in the same workspace runs in place on the arrays the first one made.
            try step.apply(p, in: &workspace)
            workspace.finish(into: &owned)
            let twice = try step.apply(p, to: copied)
            #expect(owned == twice, "\(step.name): in place differs from out of place")
            #expect(copied != c, "\(step.name) did not change the case")
            #expect(c.images.mapValues(\.voxels) == snapshot, "\(step.name) changed its input")
        }
    }

    /// A whole pipeline in place equals the copying run, and a case that shares its arrays with another variable
    /// is copied on write: the other variable keeps its values.
    @Test func pipelineInPlaceEqualsCopyAndKeepsSharedCopies() throws {
        let pipeline = try AugmentationPipeline(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("Configs/augment-default.yaml"))
        let original = AugmentFixture.augmentationCase
        for seed: UInt64 in [1, 2, 3] {
            var g1 = SeededGenerator(seed: seed), g2 = SeededGenerator(seed: seed)
            let copied = try pipeline.apply(to: original, using: &g1)
            var shared = original            // shares every array with `original`
            let record = try pipeline.applyInPlace(to: &shared, using: &g2)
            #expect(shared == copied.augmentationCase && record == copied.record, "seed \(seed)")
            #expect(original == AugmentFixture.augmentationCase, "seed \(seed): the shared original changed")
            #expect(g1 == g2)
        }
    }

    /// A pipeline reuses the arrays its earlier runs released (`VoxelArrayRecycler`): later runs, which write into
    /// arrays holding another case's stale values, give the same bytes as a pipeline without history.
    @Test func recycledArraysGiveTheSameBytes() throws {
        var blur = BlurAugmentation.Settings()
        blur.sigmaMM = AxisRanges(all: ValueRange(1, 2))
        let steps = [try AugmentationStep(AffineAugmentation()), try AugmentationStep(ElasticAugmentation()),
                     try AugmentationStep(BlurAugmentation(settings: blur)), try AugmentationStep(GammaAugmentation())]
        let pipeline = AugmentationPipeline(steps: steps)
        for seed: UInt64 in [4, 5, 6] {
            var owned = Self.deepCopy(AugmentFixture.augmentationCase)
            var g1 = SeededGenerator(seed: seed), g2 = SeededGenerator(seed: seed)
            let record = try pipeline.applyInPlace(to: &owned, using: &g1)
            let fresh = try AugmentationPipeline(steps: steps).apply(to: AugmentFixture.augmentationCase, using: &g2)
            #expect(owned == fresh.augmentationCase && record == fresh.record, "seed \(seed)")
            #expect(pipeline.recycler.count > 0, "seed \(seed): nothing was recycled")
        }
    }

    /// The mirror-pair flip kernel equals the index formula for every axis set, in place and not, on odd and
    /// even extents.
    @Test func flipKernelMatchesIndexFormula() {
        for shape in [VolumeShape(depth: 3, height: 5, width: 19), VolumeShape(depth: 4, height: 6, width: 16)] {
            let v = AugmentFixture.randomVolume(shape, seed: 3).voxels
            let (w, h, d) = (shape.width, shape.height, shape.depth)
            for mask in 1..<8 {
                let axes = Set([SpatialAxis.width, .height, .depth].enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element))
                var expected = v
                for k in 0..<d { for j in 0..<h { for i in 0..<w {
                    let sk = axes.contains(.depth) ? d - 1 - k : k, sj = axes.contains(.height) ? h - 1 - j : j
                    let si = axes.contains(.width) ? w - 1 - i : i
                    expected[(k * h + j) * w + i] = v[(sk * h + sj) * w + si]
                } } }
                var copied = [Float](repeating: .nan, count: v.count), inPlace = v
                v.withUnsafeBufferPointer { s in
                    copied.withUnsafeMutableBufferPointer { FlipAugmentation.flip(s.baseAddress!, $0.baseAddress!, shape: shape, axes: axes) }
                }
                inPlace.withUnsafeMutableBufferPointer { FlipAugmentation.flip($0.baseAddress!, $0.baseAddress!, shape: shape, axes: axes) }
                #expect(copied == expected && inPlace == expected, "\(shape) \(axes)")
            }
        }
    }

    /// The row-at-a-time low-resolution kernel equals `degrade` applied line by line, bit for bit, along every
    /// axis, in place.
    @Test func lineDegradationMatchesLineKernel() {
        let shape = VolumeShape(depth: 9, height: 13, width: 21)
        let v = AugmentFixture.randomVolume(shape, seed: 12).voxels
        for axis in SpatialAxis.allCases {
            for (factor, antialias) in [(2.7, true), (1.6, false), (4.0, true)] {
                let n = axis.extent(of: shape), stride = axis.stride(in: shape)
                let kernel = antialias ? GaussianBlur3D.kernel(sigmaVoxels: GaussianBlur3D.sigma(fromFWHM: factor), radiusSigmas: 3) : [1]
                var expected = v
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: n)
                defer { scratch.deallocate() }
                for start in 0..<shape.voxelCount where (start / stride) % n == 0 {
                    var line = (0..<n).map { v[start + $0 * stride] }
                    line.withUnsafeMutableBufferPointer {
                        LowResolutionAugmentation.degrade($0.baseAddress!, scratch: scratch, count: n, factor: factor, kernel: kernel)
                    }
                    for q in 0..<n { expected[start + q * stride] = line[q] }
                }
                var out = v
                let plan = LineDegradation(count: n, factor: factor, kernel: kernel)
                out.withUnsafeMutableBufferPointer { plan.apply($0.baseAddress!, $0.baseAddress!, shape: shape, axis: axis) }
                #expect(out == expected, "\(axis) factor \(factor)")
            }
        }
    }

    /// Noise equals each slice's documented stream drawn on its own: Gaussian noise sixteen voxels per pair of
    /// draws, Rician noise eight voxels per pair (z₁, z₂); a slice of 60 voxels ends with a partial group.
    @Test func noiseEqualsPerSliceStreams() throws {
        let shape = VolumeShape(depth: 7, height: 6, width: 10)
        let c = try AugmentationCase(images: ["T1": AugmentFixture.randomVolume(shape, seed: 5, lo: 10, hi: 20)])
        let out = try GaussianNoiseAugmentation().apply(.init(standardDeviation: 2, noiseSeed: 99), to: c)
        let rician = try RicianNoiseAugmentation().apply(.init(standardDeviation: 2, noiseSeed: 99), to: c)
        let src = c.images["T1"]!.voxels
        for k in 0..<shape.depth {
            var a = NormalVectorStream(seededBy: NoiseStreams.generator(seed: 99, image: "T1", slice: k)), b = a
            let first = k * shape.sliceCount
            for group in stride(from: 0, to: shape.sliceCount, by: 16) {
                let (za, zb) = a.nextPair()
                for q in 0..<min(16, shape.sliceCount - group) {
                    let n = first + group + q
                    #expect(out.images["T1"]!.voxels[n] == src[n] + 2 * (q < 8 ? za[q] : zb[q - 8]))
                }
            }
            for group in stride(from: 0, to: shape.sliceCount, by: 8) {
                let (z1, z2) = b.nextPair()
                for q in 0..<min(8, shape.sliceCount - group) {
                    let n = first + group + q
                    #expect(rician.images["T1"]!.voxels[n] == RicianNoise.sample(signal: src[n], sigma: 2, z1: z1[q], z2: z2[q]))
                }
            }
        }
    }

    /// The vectorised log₂/exp₂/√ are within 1e-6 relative of Double references, with the documented ends.
    @Test func fastMathAccuracy() {
        var worstLog = 0.0, worstExp = 0.0
        var g = SeededGenerator(seed: 8)
        for _ in 0..<2000 {
            let x = FastMath.Vector((0..<8).map { _ in Float(exp(g.uniform(-80, 80))) })
            let l = FastMath.log2(x)
            for q in 0..<8 { worstLog = max(worstLog, abs(Double(l[q]) - Foundation.log2(Double(x[q]))) / max(1, abs(Foundation.log2(Double(x[q]))))) }
            let y = FastMath.Vector((0..<8).map { _ in Float(g.uniform(-120, 120)) })
            let e = FastMath.exp2(y)
            for q in 0..<8 { worstExp = max(worstExp, abs(Double(e[q]) / Foundation.exp2(Double(y[q])) - 1)) }
        }
        #expect(worstLog < 1e-6 && worstExp < 1e-6, "log2 \(worstLog), exp2 \(worstExp)")
        var worstRoot = 0.0
        for _ in 0..<2000 {
            let x = FastMath.Vector((0..<8).map { _ in Float(exp(g.uniform(-80, 80))) })
            let r = FastMath.squareRoot(x)
            for q in 0..<8 { worstRoot = max(worstRoot, abs(Double(r[q]) / Double(x[q]).squareRoot() - 1)) }
        }
        #expect(worstRoot < 1e-6, "squareRoot \(worstRoot)")
        let roots = FastMath.squareRoot(FastMath.Vector(0, 1, 4, 0.25, 2, 9, 1e-30, 1e30))
        #expect(roots[0] == 0 && abs(roots[2] - 2) <= 2e-6 && abs(roots[5] - 3) <= 3e-6)
        let ends = FastMath.exp2(FastMath.Vector(-1000, -127, -126, 0, 1, 10, 127, 1000))
        #expect(ends[0] == 0 && ends[1] == 0 && ends[2] == Float.leastNormalMagnitude && ends[3] == 1 && ends[4] == 2)
        #expect(ends[5] == 1024 && ends[6] == 0x1p127 && ends[7] == .infinity)
        // Gamma keeps the minimum exactly and maps the maximum to itself within round-off.
        let v: [Float] = [-5, -5, 0, 3, 7, 7.5, 11, 11]
        var out = [Float](repeating: 0, count: v.count)
        v.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer {
            GammaAugmentation.curve(s.baseAddress!, $0.baseAddress!, count: v.count, gamma: 1.7, lower: -5, upper: 11)
        } }
        #expect(out[0] == -5 && out[1] == -5 && abs(out[7] - 11) < 1e-5)
        for q in 2..<6 {
            let expected = -5 + 16 * Foundation.pow((Double(v[q]) + 5) / 16, 1.7)
            #expect(abs(Double(out[q]) - expected) < 1e-5)
        }
        // Whole sixteen-lane groups and a tail, over the full γ range the settings allow (e^±2): within 1e-6 of
        // the span of the Double power.
        var lanes = SeededGenerator(seed: 21)
        let many = (0..<1_003).map { _ in Float(lanes.uniform(-1000, 3000)) }
        let lo = many.min()!, hi = many.max()!
        for gamma in [0.135, 0.74, 1.35, 7.39] {
            var curved = [Float](repeating: .nan, count: many.count)
            many.withUnsafeBufferPointer { s in curved.withUnsafeMutableBufferPointer {
                GammaAugmentation.curve(s.baseAddress!, $0.baseAddress!, count: many.count, gamma: Float(gamma), lower: lo, upper: hi)
            } }
            var worst = 0.0
            let span = Double(hi) - Double(lo), exponent = Double(Float(gamma))
            for (x, y) in zip(many, curved) {
                let u: Double = (Double(x) - Double(lo)) / span
                let expected: Double = Double(lo) + span * Foundation.pow(u, exponent)
                worst = max(worst, abs(Double(y) - expected) / span)
            }
            #expect(worst < 1e-6, "γ \(gamma): worst error \(worst) of the span")
        }
    }

    /// `FastMath.powerOfUnit` (fused, gamma's power): within 1e-6 of the Double power over u in (0, 1] and the
    /// settings' γ range, exactly 1 at u = 1, and +0 where γ·log₂ u is below −126.5.
    @Test func powerOfUnitAccuracyAndEnds() {
        var g = SeededGenerator(seed: 34)
        var worst = 0.0
        for _ in 0..<2000 {
            // u spread over many octaves (down to 2⁻⁴⁰) and uniformly near 1, where the curve is steepest.
            let u = FastMath.Vector((0..<8).map { q in Float(q < 4 ? Foundation.exp2(g.uniform(-40, 0)) : g.uniform(0, 1)) })
            let gamma = Float(Foundation.exp(g.uniform(-2, 2)))
            let y = FastMath.powerOfUnit(u, gamma)
            for q in 0..<8 where u[q] > 0 {
                worst = max(worst, abs(Double(y[q]) - Foundation.pow(Double(u[q]), Double(gamma))))
            }
        }
        #expect(worst < 1e-6, "worst absolute error \(worst)")
        let ends = FastMath.powerOfUnit(FastMath.Vector(1, 1, 0x1p-100, 0x1p-126, 0.5, 0.25, 1, 0x1p-20), 7.39)
        #expect(ends[0] == 1 && ends[1] == 1 && ends[2] == 0 && ends[3] == 0 && ends[6] == 1)
        #expect(abs(Double(ends[4]) - Foundation.pow(0.5, Double(Float(7.39)))) < 1e-8)
        #expect(FastMath.powerOfUnit(FastMath.Vector(repeating: 1), 0.135) == FastMath.Vector(repeating: 1))
    }

    /// A case whose arrays are fresh copies (shares nothing with `c`).
    static func deepCopy(_ c: AugmentationCase) -> AugmentationCase {
        var images: [String: Volume] = [:]
        for (name, v) in c.images { images[name] = Volume(shape: v.shape, voxels: v.voxels.map { $0 }, affine: v.affine, modality: v.modality) }
        let labels = c.labels.map { Volume(shape: $0.shape, voxels: $0.voxels.map { $0 }, affine: $0.affine, modality: .label) }
        return try! AugmentationCase(images: images, labels: labels)
    }
}
