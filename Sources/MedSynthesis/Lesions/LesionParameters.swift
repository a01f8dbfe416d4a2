import MedCore

/// The appearance drawn for one part of a lesion.
public struct LesionRegionAppearance: Codable, Sendable, Equatable {
    /// The part.
    public var region: LesionSubRegion
    /// Its appearance relative to the host tissue.
    public var appearance: LesionAppearance
}

/// Everything drawn for one lesion (MONAI's "draw, then apply"): with the grid it determines the lesion's
/// fractions, so it is what provenance records.
public struct LesionParameters: Codable, Sendable, Equatable {
    /// The shape.
    public var shape: LesionShape
    /// The centre voxel (k, j, i) — slice, row, column.
    public var centerVoxel: [Int]
    /// True for BraTS-like sub-regions (labels 11, 12, 13), false for one lesion (label 10).
    public var subRegions: Bool
    /// Sub-regions: necrotic core level (fraction of the radius); 0 without sub-regions.
    public var necroticFraction: Double
    /// Sub-regions: oedema margin beyond the lesion (fraction of the radius); 0 without sub-regions.
    public var oedemaMargin: Double
    /// Width of the soft edge (mm).
    public var edgeWidthMM: Double
    /// One appearance per part, in painting order (oedema, enhancing rim, necrotic core; or the whole lesion).
    public var appearances: [LesionRegionAppearance]
    /// The named type it was drawn as (`--lesion-type`); nil (and absent from records) for the generic model.
    public var type: LesionType? = nil
    /// Its internal heterogeneity; nil (and absent from records) for a uniform lesion.
    public var heterogeneity: LesionHeterogeneity? = nil

    /// The parts in painting order: each later part covers the earlier ones.
    public var regions: [LesionSubRegion] { appearances.map(\.region) }

    /// The normalised-radius level of the outermost part.
    public var outerLevel: Double { subRegions ? 1 + oedemaMargin : 1 }

    /// The appearance of `region`.
    public func appearance(of region: LesionSubRegion) -> LesionAppearance? {
        appearances.first { $0.region == region }?.appearance
    }

    /// Draws a lesion's shape, levels and appearance (not its place). Order: shape, levels, appearances, and with
    /// a heterogeneity amplitude > 0 the heterogeneity's seed (drawn last, so settings without it draw as before).
    public static func draw(settings: LesionSettings, using g: inout SeededGenerator) -> LesionParameters {
        let shape = LesionShape.draw(settings: settings, using: &g)
        let necrotic = g.uniform(settings.necroticFraction.lowerBound, settings.necroticFraction.upperBound)
        let margin = g.uniform(settings.oedemaMargin.lowerBound, settings.oedemaMargin.upperBound)
        let regions: [LesionSubRegion] = settings.subRegions ? [.oedema, .enhancingRim, .necroticCore] : [.whole]
        let appearances = drawAppearances(regions, settings: settings, using: &g)
        let heterogeneity = settings.heterogeneityAmplitude > 0
            ? LesionHeterogeneity(seed: g.next(), amplitude: settings.heterogeneityAmplitude,
                                  correlationMM: settings.heterogeneityCorrelationFraction * shape.radiusMM)
            : nil
        return LesionParameters(shape: shape, centerVoxel: [0, 0, 0], subRegions: settings.subRegions,
                                necroticFraction: settings.subRegions ? necrotic : 0,
                                oedemaMargin: settings.subRegions ? margin : 0, edgeWidthMM: settings.edgeWidthMM,
                                appearances: appearances, type: settings.type, heterogeneity: heterogeneity)
    }

    /// Draws one appearance per part of `regions`, in that order, from the settings' ranges.
    public static func drawAppearances(_ regions: [LesionSubRegion], settings: LesionSettings,
                                       using g: inout SeededGenerator) -> [LesionRegionAppearance] {
        regions.map { LesionRegionAppearance(region: $0, appearance: settings.appearanceRanges($0).draw(using: &g)) }
    }
}
