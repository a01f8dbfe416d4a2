import MedCore
import MedIO

/// SynthSeg-style domain randomisation (Billot et al., "SynthSeg", Medical Image Analysis 86, 2023): images whose
/// contrast, resolution, bias and noise are drawn at random per image, so a network trained on them does not learn
/// any one scanner's contrast. Each image is drawn from the label map alone:
/// 1. every class (each brain label value of the input map, and each tissue the phantom adds around the brain:
///    air, skin, fat, bone, diploë, CSF) draws a mean μ ~ U(`mean`) and a standard deviation σ ~ U(`standardDeviation`);
///    every voxel draws μ + σ·z (a Gaussian mixture, as SynthSeg);
/// 2. resolution: per axis a slice thickness r ~ U(`resolutionMM`) and a Gaussian blur of FWHM √(r² − h²), h the
///    voxel size (none where r ≤ h);
/// 3. bias: a smooth multiplicative field (`BiasField`, degree 3) of strength ~ U(`biasStrength`);
/// 4. contrast: the image is clamped at 0, scaled to 0…1 by its maximum and raised to γ = exp(N(0, `gammaLogStd`)).
/// The values are unit-less (0…1).
public struct DomainRandomisation: Codable, Sendable, Equatable {
    /// Range of the class means (image units before scaling; SynthSeg's 0…255).
    public var mean: ClosedRange<Double> = 0...255
    /// Range of the class standard deviations (SynthSeg's 0…25).
    public var standardDeviation: ClosedRange<Double> = 0...25
    /// Range of the simulated slice thickness per axis (mm).
    public var resolutionMM: ClosedRange<Double> = 1...6
    /// Range of the bias field's strength s (gain within ≈ [1/(1 + s), 1 + s]).
    public var biasStrength: ClosedRange<Double> = 0...0.5
    /// Standard deviation of ln γ of the contrast curve.
    public var gammaLogStd: Double = 0.4

    /// The defaults.
    public init() {}

    /// Checks the ranges.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the field (`domainRandomisation.<name>`), its value and
    ///   what was expected.
    public func validate() throws {
        func check(_ name: String, _ ok: Bool, _ value: String, _ expected: String) throws {
            guard ok else { throw MedSynthError(.invalidArgument, "domainRandomisation.\(name)", "is \(value); expected \(expected)") }
        }
        try check("mean", mean.lowerBound >= 0 && mean.upperBound.isFinite, "\(mean)", "a finite range of values >= 0")
        try check("standardDeviation", standardDeviation.lowerBound >= 0 && standardDeviation.upperBound.isFinite,
                  "\(standardDeviation)", "a finite range of values >= 0")
        try check("resolutionMM", resolutionMM.lowerBound > 0 && resolutionMM.upperBound <= 20, "\(resolutionMM)", "a range within (0, 20] mm")
        try check("biasStrength", biasStrength.lowerBound >= 0 && biasStrength.upperBound <= 4, "\(biasStrength)", "a range within 0...4")
        try check("gammaLogStd", (0...2).contains(gammaLogStd), "\(gammaLogStd)", "0...2")
    }

    /// One image's draw: with the label maps it fixes the image.
    public struct Parameters: Codable, Sendable, Equatable {
        /// The slot the image fills (`CT`, `T1`, …: the dataset layout's names; the image is not that modality).
        public var slot: String
        /// Class names (`label 2` for an input label value, `tissue skin` for a tissue the phantom adds).
        public var classes: [String]
        /// Mean per class.
        public var means: [Double]
        /// Standard deviation per class.
        public var standardDeviations: [Double]
        /// Simulated slice thickness per output axis (i, j, k), mm.
        public var resolutionMM: SIMD3<Double>
        /// The bias field (over the output grid, coordinates −1…1).
        public var biasField: BiasField
        /// The contrast exponent γ.
        public var gamma: Double
        /// Seed of the per-voxel noise.
        public var noiseSeed: UInt64
    }

    /// Draws one image's parameters. Order (part of the reproducibility contract): per class mean and standard
    /// deviation, then resolution (i, j, k), bias strength and field, γ, noise seed.
    /// - Parameters:
    ///   - slot: the image's slot name.
    ///   - classes: the class names (`classes(labelMap:)`).
    ///   - g: the image's stream.
    public func draw(slot: String, classes: [String], using g: inout SeededGenerator) -> Parameters {
        var means: [Double] = [], stds: [Double] = []
        for _ in classes {
            means.append(g.uniform(mean.lowerBound, mean.upperBound))
            stds.append(g.uniform(standardDeviation.lowerBound, standardDeviation.upperBound))
        }
        let resolution = SIMD3(g.uniform(resolutionMM.lowerBound, resolutionMM.upperBound),
                               g.uniform(resolutionMM.lowerBound, resolutionMM.upperBound),
                               g.uniform(resolutionMM.lowerBound, resolutionMM.upperBound))
        let strength = g.uniform(biasStrength.lowerBound, biasStrength.upperBound)
        let bias = BiasField.draw(degree: 3, strength: strength, using: &g)
        let gamma = exp(gammaLogStd * g.nextNormal())
        return Parameters(slot: slot, classes: classes, means: means, standardDeviations: stds, resolutionMM: resolution,
                          biasField: bias, gamma: gamma, noiseSeed: g.next())
    }

    /// The classes of a rendered case: every brain label value of the input map (ascending), then every tissue
    /// of the phantom, and the class index of each output voxel (the input's label where the table calls it
    /// brain, else the rendered tissue).
    /// - Parameters:
    ///   - labelMap: the input map's template (its labels on the output grid).
    ///   - rendered: the rendered label map (on the output grid).
    public static func classes(labelMap: LabelMapTemplate, rendered: Volume) -> (names: [String], index: [Int32]) {
        let brainLabels = labelMap.labelTissues.filter { $0.value != .background }.keys.sorted()
        var names = brainLabels.map { "label \(Int($0))" }
        let tissueBase = names.count
        names += Tissue.allCases.map { "tissue \($0.name)" }
        var position: [Float: Int32] = [:]
        for (n, v) in brainLabels.enumerated() { position[v] = Int32(n) }
        let index = zip(labelMap.sourceLabels, rendered.voxels).map { source, tissue -> Int32 in
            position[source] ?? Int32(tissueBase + Int(tissue))
        }
        return (names, index)
    }

    /// Renders one image.
    /// - Parameters:
    ///   - p: the drawn parameters.
    ///   - classIndex: per voxel its class (`classes`).
    ///   - shape: the output grid's extents.
    ///   - spacingMM: its voxel size along i, j, k (mm).
    // classIndex: [D, H, W] -> image [D, H, W] in 0…1
    public static func render(_ p: Parameters, classIndex: [Int32], shape: VolumeShape, spacingMM: SIMD3<Double>) -> [Float] {
        precondition(classIndex.count == shape.voxelCount)
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        let means = p.means.map(Float.init), stds = p.standardDeviations.map(Float.init)
        var image = [Float](repeating: 0, count: shape.voxelCount)
        let root = SeededGenerator(seed: p.noiseSeed)
        image.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Parallel.forEachChunk(count: d) { slices in
                for k in slices {
                    var noise = NoiseStream(seededBy: root.split(UInt64(k)))
                    for n in (k * w * h)..<((k + 1) * w * h) {
                        let c = Int(classIndex[n])
                        base[n] = means[c] + stds[c] * noise.nextNormal()
                    }
                }
            }
        }
        let fwhm = (p.resolutionMM * p.resolutionMM - spacingMM * spacingMM).replacing(with: 0, where: p.resolutionMM .<= spacingMM)
        let sigma = SIMD3(GaussianBlur3D.sigma(fromFWHM: fwhm.x.squareRoot()), GaussianBlur3D.sigma(fromFWHM: fwhm.y.squareRoot()),
                          GaussianBlur3D.sigma(fromFWHM: fwhm.z.squareRoot())) / spacingMM
        GaussianBlur3D.blurSeparable(&image, shape: shape, kernels: (GaussianBlur3D.kernel(sigmaVoxels: sigma.x, radiusSigmas: 3),
                                                                     GaussianBlur3D.kernel(sigmaVoxels: sigma.y, radiusSigmas: 3),
                                                                     GaussianBlur3D.kernel(sigmaVoxels: sigma.z, radiusSigmas: 3)))
        func normalised(_ n: Int, _ extent: Int) -> Double { extent > 1 ? 2 * Double(n) / Double(extent - 1) - 1 : 0 }
        var peak: Float = 0
        for k in 0..<d {
            for j in 0..<h {
                let poly = SIMD4<Float>(p.biasField.rowPolynomial(y: normalised(j, h), z: normalised(k, d)))
                for i in 0..<w {
                    let x = Float(normalised(i, w))
                    let n = (k * h + j) * w + i
                    let v = max(0, image[n] * exp(poly[0] + x * (poly[1] + x * (poly[2] + x * poly[3]))))
                    image[n] = v
                    peak = max(peak, v)
                }
            }
        }
        let scale: Float = peak > 0 ? 1 / peak : 0, gamma = Float(p.gamma)
        for n in image.indices { image[n] = pow(image[n] * scale, gamma) }
        return image
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
