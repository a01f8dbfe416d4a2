import MedCore
import MedIO

/// Renders one case's volumes from its anatomy model and drawn parameters.
///
/// One pass over the grid, parallel over slices, computes per voxel the tissue fractions, the label, CT with
/// noise, the three MR signals with bias and Rician noise, and the noise-free PET uptake; a separable blur and
/// a second per-slice pass then give PET its PSF and count noise. Per-tissue values are precomputed as
/// 16-lane vectors, so a voxel's noise-free value in each modality is one lane-wise multiply and sum with its
/// fraction vector. Slice k's noise comes from its own stream (split k of the case's noise seed), so the output
/// does not depend on the number of threads.
struct HeadPhantomRenderer {
    let settings: HeadPhantomSettings
    let model: HeadAnatomyModel
    let parameters: HeadPhantomCaseParameters
    let inclusions: [PhantomInclusion]
    /// Runs every slice loop on the calling thread (tests compare this with the parallel result).
    var serial = false

    /// Calls `body` over 0..<count, split over workers unless `serial`.
    private func forEachSlice(_ count: Int, _ body: (Range<Int>) -> Void) {
        if serial { body(0..<count) } else { Parallel.forEachChunk(count: count, body) }
    }

    /// Noise-free per-voxel values of one material in every rendered channel.
    private struct MaterialValues {
        var ct: Float, t1: Float, t2: Float, flair: Float, suv: Float
    }

    private func values(of p: TissueProperties) -> MaterialValues {
        let mr = settings.mr
        let gain = mr.receiverGain
        let t1 = MRSignalModel.spinEcho(protonDensity: p.protonDensity, t1MS: p.t1MS, t2MS: p.t2MS, timing: mr.t1Weighted)
        let t2 = MRSignalModel.spinEcho(protonDensity: p.protonDensity, t1MS: p.t1MS, t2MS: p.t2MS, timing: mr.t2Weighted)
        let fl = MRSignalModel.inversionRecovery(
            protonDensity: p.protonDensity, t1MS: p.t1MS, t2MS: p.t2MS, repetitionTimeMS: mr.flair.repetitionTimeMS,
            echoTimeMS: mr.flair.echoTimeMS, inversionTimeMS: parameters.flairInversionTimeMS)
        return MaterialValues(ct: Float(p.ctHU), t1: Float(gain * t1), t2: Float(gain * t2), flair: Float(gain * fl),
                              suv: Float(p.suv))
    }

    /// Renders the case.
    func render() -> HeadPhantomCase {
        let shape = settings.shape
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        let count = shape.voxelCount

        var ctTable = SIMD16<Float>(repeating: 0), t1Table = ctTable, t2Table = ctTable, flairTable = ctTable
        var suvTable = ctTable
        for tissue in Tissue.anatomical {
            let v = values(of: parameters.properties(of: tissue))
            let lane = tissue.rawValue
            ctTable[lane] = v.ct; t1Table[lane] = v.t1; t2Table[lane] = v.t2; flairTable[lane] = v.flair
            suvTable[lane] = v.suv
        }
        let inclusionValues = inclusions.map { values(of: $0.properties) }

        let ctSigma = Float(settings.ct.noiseStdHU), minimumHU = Float(settings.ct.minimumHU)
        let sigma1 = Float(parameters.t1NoiseSigma), sigma2 = Float(parameters.t2NoiseSigma)
        let sigmaF = Float(parameters.flairNoiseSigma)
        let noiseRoot = SeededGenerator(seed: parameters.noiseSeed)
        let mainNoise = noiseRoot.split(0), petNoise = noiseRoot.split(1)
        let bias = parameters.biasField
        let affine = settings.affine
        let spacing = SIMD3<Float>(settings.spacingMM)
        let origin = SIMD3<Float>(Float(affine[0, 3]), Float(affine[1, 3]), Float(affine[2, 3]))
        let stepI = model.headVector(world: SIMD3(spacing.x, 0, 0))
        func normalised(_ n: Int, _ extent: Int) -> Double { extent > 1 ? 2 * Double(n) / Double(extent - 1) - 1 : 0 }
        let xScale: Float = w > 1 ? 2 / Float(w - 1) : 0

        var labels = [Float](repeating: 0, count: count)
        var ct = labels, t1 = labels, t2 = labels, flair = labels, pet = labels
        labels.withUnsafeMutableBufferPointer { lb in
        ct.withUnsafeMutableBufferPointer { cb in
        t1.withUnsafeMutableBufferPointer { t1b in
        t2.withUnsafeMutableBufferPointer { t2b in
        flair.withUnsafeMutableBufferPointer { fb in
        pet.withUnsafeMutableBufferPointer { pb in
            let (lp, cp, t1p, t2p, fp, pp) = (lb.baseAddress!, cb.baseAddress!, t1b.baseAddress!, t2b.baseAddress!,
                                              fb.baseAddress!, pb.baseAddress!)
            forEachSlice(d) { slices in
                for k in slices {
                    var noise = NoiseStream(seededBy: mainNoise.split(UInt64(k)))
                    let zHat = normalised(k, d)
                    for j in 0..<h {
                        let row = (k * h + j) * w
                        let world = origin + SIMD3<Float>(0, Float(j), Float(k)) * spacing
                        let start = model.headPoint(world: world)
                        let poly = SIMD4<Float>(bias.rowPolynomial(y: normalised(j, h), z: zHat))
                        let rowInclusions = inclusions.isEmpty ? [] : inclusions.indices.filter {
                            inclusions[$0].touchesRow(k: k, j: j)
                        }
                        for i in 0..<w {
                            var f = model.fractions(head: start + Float(i) * stepI)
                            var label = HeadAnatomyModel.dominantLabel(f)
                            var ctValue = (f * ctTable).sum(), t1Value = (f * t1Table).sum()
                            var t2Value = (f * t2Table).sum(), flairValue = (f * flairTable).sum()
                            var suvValue = (f * suvTable).sum()
                            if !rowInclusions.isEmpty {
                                var best = f[label]
                                for n in rowInclusions {
                                    let a = inclusions[n].fraction(k: k, j: j, i: i)
                                    guard a > 0 else { continue }
                                    let v = inclusionValues[n]
                                    ctValue += a * (v.ct - ctValue)
                                    t1Value += a * (v.t1 - t1Value)
                                    t2Value += a * (v.t2 - t2Value)
                                    flairValue += a * (v.flair - flairValue)
                                    suvValue += a * (v.suv - suvValue)
                                    f *= 1 - a
                                    best *= 1 - a
                                    if a >= best {
                                        label = inclusions[n].label.rawValue
                                        best = a
                                    }
                                }
                            }
                            let x = Float(i) * xScale - 1
                            let gain = exp(poly[0] + x * (poly[1] + x * (poly[2] + x * poly[3])))
                            let index = row + i
                            lp[index] = Float(label)
                            cp[index] = max(minimumHU, ctValue + ctSigma * noise.nextNormal())
                            t1p[index] = RicianNoise.sample(signal: t1Value * gain, sigma: sigma1,
                                                            z1: noise.nextNormal(), z2: noise.nextNormal())
                            t2p[index] = RicianNoise.sample(signal: t2Value * gain, sigma: sigma2,
                                                            z1: noise.nextNormal(), z2: noise.nextNormal())
                            fp[index] = RicianNoise.sample(signal: flairValue * gain, sigma: sigmaF,
                                                           z1: noise.nextNormal(), z2: noise.nextNormal())
                            pp[index] = suvValue
                        }
                    }
                }
            }
        }}}}}}

        applyPETAcquisition(&pet, noise: petNoise)

        let labelVolume = Volume(shape: shape, voxels: labels, affine: affine, modality: .label)
        return HeadPhantomCase(
            labels: labelVolume,
            ct: Volume(shape: shape, voxels: ct, affine: affine, modality: .ct),
            t1: Volume(shape: shape, voxels: t1, affine: affine, modality: .t1),
            t2: Volume(shape: shape, voxels: t2, affine: affine, modality: .t2),
            flair: Volume(shape: shape, voxels: flair, affine: affine, modality: .flair),
            pet: Volume(shape: shape, voxels: pet, affine: affine, modality: .pet),
            parameters: parameters)
    }

    /// Blurs the noise-free uptake with the PSF, then adds count noise (σ² = mean / countsPerSUV) and clamps at 0.
    private func applyPETAcquisition(_ pet: inout [Float], noise: SeededGenerator) {
        let p = settings.pet
        let sigma = GaussianBlur3D.sigmaVoxels(fwhmMM: p.psfFWHMMM, spacingMM: settings.spacingMM)
        if p.psfFWHMMM > 0 {
            let kernels = (x: GaussianBlur3D.kernel(sigmaVoxels: sigma.x, radiusSigmas: p.kernelRadiusSigmas),
                           y: GaussianBlur3D.kernel(sigmaVoxels: sigma.y, radiusSigmas: p.kernelRadiusSigmas),
                           z: GaussianBlur3D.kernel(sigmaVoxels: sigma.z, radiusSigmas: p.kernelRadiusSigmas))
            GaussianBlur3D.blurSeparable(&pet, shape: settings.shape, kernels: kernels)
        }
        let inverseCounts = p.countsPerSUV > 0 ? Float(1 / p.countsPerSUV) : 0
        let sliceCount = settings.shape.sliceCount
        pet.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            forEachSlice(settings.shape.depth) { slices in
                for k in slices {
                    var stream = NoiseStream(seededBy: noise.split(UInt64(k)))
                    let slice = base + k * sliceCount
                    for n in 0..<sliceCount {
                        let mean = slice[n]
                        let std = (max(mean, 0) * inverseCounts).squareRoot()
                        slice[n] = max(0, mean + std * stream.nextNormal())
                    }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
