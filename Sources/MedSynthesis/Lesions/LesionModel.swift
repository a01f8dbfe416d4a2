import MedCore
import MedIO

/// A lesion drawn and placed on a grid: its parameters and its fractions.
public struct PlacedLesion: Sendable {
    /// What was drawn (the centre included).
    public var parameters: LesionParameters
    /// Its fractions on its box, clipped to the mask.
    public var coverage: LesionCoverage
    /// Placement attempts it took (1 = the first centre fitted).
    public var attempts: Int
    /// The fraction of its core inside the mask before clipping.
    public var insideFraction: Double
    /// Its position in the draw: lesion n drew from `stream.split(n + 1)` (0 for lesions rendered again).
    public var drawIndex: Int = 0
}

/// The synthetic lesion model: draws lesion shapes, sizes and appearances and places them where a mask allows.
///
/// ```swift
/// let model = try LesionModel(settings: LesionSettings())
/// let lesions = model.place(on: try VolumeLesionMask(mask: brain), using: SeededGenerator(seed: 7))
/// ```
/// Streams: `stream.split(0)` draws the count; lesion n uses `stream.split(n + 1)`, whose split 0 draws its
/// shape and appearance and split 1 its placement, so a lesion's shape does not depend on how many centres
/// were tried, and adding a lesion leaves the earlier ones unchanged; split 2 draws its appearance again when it is
/// invisible (`redrawStream`).
public struct LesionModel: Sendable {
    /// The validated settings.
    public let settings: LesionSettings

    /// The most centre candidates drawn per placement attempt before the attempt counts as failed.
    public static let centerDrawsPerAttempt = 1000

    /// Creates a model.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first invalid setting.
    public init(settings: LesionSettings = LesionSettings()) throws {
        try settings.validate()
        self.settings = settings
    }

    /// Draws the lesion count (or takes `count`) and places that many lesions, each where its box fits the grid,
    /// stays a voxel clear of the others' boxes and of existing lesions, and keeps at least
    /// `minimumInsideFraction` of its core inside the mask. A lesion that does not fit in `maximumAttempts`
    /// centres is dropped (the result is then shorter than the count).
    /// - Parameters:
    ///   - mask: where lesions may go.
    ///   - stream: the lesions' random stream (see the type's documentation).
    ///   - count: the number of lesions; nil draws it from `settings.countRange`.
    ///   - existing: boxes of lesions already there (from their records), kept clear like placed ones.
    public func place(on mask: some LesionPlacementMask, using stream: SeededGenerator, count: Int? = nil,
                      avoiding existing: [LesionBox] = []) -> [PlacedLesion] {
        var countStream = stream.split(0)
        let range = settings.countRange
        let n = count ?? (range.lowerBound + Int(countStream.next() % UInt64(range.count)))
        var placed: [PlacedLesion] = []
        for index in 0..<n {
            let lesionStream = stream.split(UInt64(index) + 1)
            var drawStream = lesionStream.split(0), placeStream = lesionStream.split(1)
            let parameters = LesionParameters.draw(settings: settings, using: &drawStream)
            if var lesion = placeOne(parameters, on: mask, avoiding: existing + placed.map(\.coverage.box), using: &placeStream) {
                lesion.drawIndex = index
                placed.append(lesion)
            }
        }
        return placed
    }

    /// The stream an invisible lesion's appearance is drawn again from: split 2 of lesion `drawIndex`'s stream (its
    /// splits 0 and 1 drew its shape, appearance and place), so redraws change nothing else.
    public static func redrawStream(_ stream: SeededGenerator, drawIndex: Int) -> SeededGenerator {
        stream.split(UInt64(drawIndex) + 1).split(2)
    }

    /// The box half-extents (k, j, i voxels) that hold the lesion and its soft edge on a grid of `affine`.
    public static func halfExtents(_ p: LesionParameters, affine: Affine) -> [Int] {
        let reach = p.shape.boundingRadiusMM(level: p.outerLevel) + p.edgeWidthMM
        let spacing = affine.columnLengthsMM
        return [Int((reach / spacing.z).rounded(.up)), Int((reach / spacing.y).rounded(.up)), Int((reach / spacing.x).rounded(.up))]
    }

    private func placeOne(_ drawn: LesionParameters, on mask: some LesionPlacementMask, avoiding boxes: [LesionBox],
                          using g: inout SeededGenerator) -> PlacedLesion? {
        let half = Self.halfExtents(drawn, affine: mask.affine)
        let (lower, upper) = mask.candidateBounds
        for attempt in 1...settings.maximumAttempts {
            var center: [Int]? = nil
            for _ in 0..<Self.centerDrawsPerAttempt {
                let c = (0..<3).map { a in lower[a] + Int(g.next() % UInt64(max(1, upper[a] - lower[a]))) }
                if mask.isCenterCandidate(k: c[0], j: c[1], i: c[2]) { center = c; break }
            }
            guard let center else { continue }
            let box = LesionBox(center: center, half: half)
            guard box.fits(in: mask.shape), !boxes.contains(where: { $0.intersects(box, margin: 1) }), !mask.blocks(box) else { continue }
            var p = drawn
            p.centerVoxel = center
            let (coverage, inside) = LesionCoverage.compute(p, box: box, mask: mask)
            if inside >= settings.minimumInsideFraction && inside > 0 {
                return PlacedLesion(parameters: p, coverage: coverage, attempts: attempt, insideFraction: inside)
            }
        }
        return nil
    }
}
