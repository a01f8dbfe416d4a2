import MedCore
import MedIO

/// The fractions of one placed lesion on its box: nested coverages c_outer ≥ c_core ≥ c_necrotic, each a
/// smoothstep of the normalised radius across the soft edge, clipped to the allowed mask.
///
/// Shares of a voxel: without sub-regions the lesion covers c_outer. With sub-regions the oedema covers
/// c_outer − c_core, the enhancing rim c_core − c_necrotic and the necrotic core c_necrotic.
public struct LesionCoverage: Sendable {
    /// The box the arrays cover (C order, `box.shape.voxelCount` values each).
    public let box: LesionBox
    /// True when the lesion has sub-regions.
    public let subRegions: Bool
    /// c_outer: the fraction covered by any part of the lesion (oedema included).
    public internal(set) var outer: [Float]
    /// c_core: enhancing rim + necrotic core (equal to `outer` without sub-regions).
    public internal(set) var core: [Float]
    /// c_necrotic (zeros without sub-regions).
    public internal(set) var necrotic: [Float]

    /// The share of `region` at box voxel `n`.
    @inline(__always)
    public func share(_ region: LesionSubRegion, at n: Int) -> Float {
        switch region {
        case .whole: return subRegions ? 0 : outer[n]
        case .oedema: return subRegions ? outer[n] - core[n] : 0
        case .enhancingRim: return subRegions ? core[n] - necrotic[n] : 0
        case .necroticCore: return subRegions ? necrotic[n] : 0
        }
    }

    /// The part with the largest share at box voxel `n` (the label a lesion voxel gets).
    public func dominantRegion(at n: Int) -> LesionSubRegion {
        guard subRegions else { return .whole }
        let shares: [(LesionSubRegion, Float)] = [(.oedema, outer[n] - core[n]), (.enhancingRim, core[n] - necrotic[n]),
                                                   (.necroticCore, necrotic[n])]
        return shares.max { $0.1 < $1.1 }!.0
    }

    /// The per-part fractions for painting in `regions` order, each covering what is there already
    /// (PhantomInclusion's rule v ← (1 − a)·v + a·part): a_oedema = (c_o − c_c)/(1 − c_c),
    /// a_rim = (c_c − c_n)/(1 − c_n), a_necrotic = c_n, so the mixture is exactly
    /// (1 − c_o)·anatomy + Σ share·part.
    public func paintingFractions(_ region: LesionSubRegion) -> [Float] {
        switch region {
        case .whole: return subRegions ? [Float](repeating: 0, count: outer.count) : outer
        case .oedema: return zip(outer, core).map { o, c in c < 1 ? max(0, (o - c) / (1 - c)) : 0 }
        case .enhancingRim: return zip(core, necrotic).map { c, n in n < 1 ? max(0, (c - n) / (1 - n)) : 0 }
        case .necroticCore: return necrotic
        }
    }

    /// Computes a lesion's coverages on its box and clips them to `mask`.
    /// - Returns: the coverage and the fraction of the unclipped core that survived clipping.
    static func compute(_ p: LesionParameters, box: LesionBox, mask: some LesionPlacementMask) -> (LesionCoverage, Double) {
        let rho = p.shape.normalizedRadius(box: box, center: p.centerVoxel, affine: mask.affine)
        let scale = Float(p.shape.radiusMM / p.edgeWidthMM)
        func level(_ l: Double) -> [Float] {
            let lf = Float(l)
            return rho.map { r in
                let t = min(1, max(0, 0.5 + (lf - r) * scale))
                return t * t * (3 - 2 * t)
            }
        }
        var outer = level(p.outerLevel)
        var core = p.subRegions ? level(1) : outer
        var necrotic = p.subRegions ? level(p.necroticFraction) : [Float](repeating: 0, count: outer.count)
        let unclipped = core.reduce(0.0) { $0 + Double($1) }
        // Clip to the mask where the lesion reaches (the mask may be slow: a phantom's anatomy model).
        var allowed = [Float](repeating: 0, count: outer.count)
        let grid = mask.shape
        allowed.withUnsafeMutableBufferPointer { a in
            let base = a.baseAddress!
            Parallel.forEachChunk(count: box.shape.depth) { slices in
                for bk in slices {
                    let k = box.originK + bk
                    guard k >= 0 && k < grid.depth else { continue }
                    for bj in 0..<box.shape.height {
                        let j = box.originJ + bj
                        guard j >= 0 && j < grid.height else { continue }
                        for bi in 0..<box.shape.width {
                            let i = box.originI + bi
                            let n = (bk * box.shape.height + bj) * box.shape.width + bi
                            guard i >= 0 && i < grid.width, outer[n] > 0 else { continue }
                            base[n] = mask.allowedFraction(k: k, j: j, i: i)
                        }
                    }
                }
            }
        }
        for n in outer.indices {
            outer[n] = min(outer[n], allowed[n])
            if p.subRegions {
                core[n] = min(core[n], allowed[n])
                necrotic[n] = min(necrotic[n], allowed[n])
            }
        }
        if !p.subRegions { core = outer }
        let kept = core.reduce(0.0) { $0 + Double($1) }
        let coverage = LesionCoverage(box: box, subRegions: p.subRegions, outer: outer, core: core, necrotic: necrotic)
        return (coverage, unclipped > 0 ? kept / unclipped : 0)
    }
}
