import MedCore

/// The property ranges of every anatomical tissue, from which each phantom case draws its values.
///
/// Defaults (`literature3T`) are for 3 T; docs/TISSUE_PARAMETERS.md lists each value with its source and the
/// spread reported across studies.
public struct TissueParameterTable: Codable, Sendable, Equatable {
    /// One entry per anatomical tissue (`Tissue.anatomical`), in any order.
    public var entries: [TissuePropertyRanges]
    /// When true, the ventricles take the values drawn for subarachnoid CSF (it is the same fluid), so FLAIR's
    /// inversion time nulls both; when false they draw independently from their own ranges.
    public var ventriclesShareCSFDraw: Bool

    /// Creates a table.
    public init(entries: [TissuePropertyRanges], ventriclesShareCSFDraw: Bool = true) {
        self.entries = entries
        self.ventriclesShareCSFDraw = ventriclesShareCSFDraw
    }

    /// The ranges for `tissue`.
    /// - Precondition: the table has an entry for `tissue` (checked by `validate()`).
    public subscript(tissue: Tissue) -> TissuePropertyRanges {
        guard let entry = entries.first(where: { $0.tissue == tissue }) else {
            preconditionFailure("tissue table has no entry for \(tissue.name); call validate() first")
        }
        return entry
    }

    /// Checks that every anatomical tissue has exactly one valid entry and that no entry is for the lesion label.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the missing, duplicated or invalid entry.
    public func validate() throws {
        for tissue in Tissue.anatomical {
            let n = entries.filter { $0.tissue == tissue }.count
            if n != 1 {
                throw MedSynthError(.invalidArgument, "tissues", "\(n) entries for \(tissue.name); expected exactly 1")
            }
        }
        if entries.contains(where: { $0.tissue == .lesion }) {
            throw MedSynthError(.invalidArgument, "tissues",
                                "has an entry for lesion; lesion properties come with each PhantomInclusion")
        }
        for entry in entries { try entry.validate() }
    }

    /// Draws every anatomical tissue's properties for one case, indexed by label value (`Tissue.rawValue`).
    ///
    /// Draw order is the label order, so adding a tissue at the end does not change earlier draws.
    /// - Parameter generator: the case's seeded stream.
    /// - Returns: `Tissue.anatomical.count` property sets; entry `t.rawValue` belongs to tissue `t`.
    public func draw(using generator: inout SeededGenerator) -> [TissueProperties] {
        var drawn: [TissueProperties] = []
        for tissue in Tissue.anatomical {
            let value = self[tissue].draw(using: &generator)
            drawn.append(tissue == .ventricles && ventriclesShareCSFDraw ? drawn[Tissue.csf.rawValue] : value)
        }
        return drawn
    }

    /// Literature-based ranges at 3 T (sources in docs/TISSUE_PARAMETERS.md). CT and SUV do not depend on the
    /// field strength. Background (air) has no MR signal (proton density 0); its T1/T2 of 1 ms only keep the
    /// signal equations finite.
    public static let literature3T = TissueParameterTable(entries: [
        TissuePropertyRanges(tissue: .background, ctHU: -1000 ... -1000, protonDensity: 0...0,
                             t1MS: 1...1, t2MS: 1...1, suv: 0...0),
        TissuePropertyRanges(tissue: .skin, ctHU: 20...60, protonDensity: 0.70...0.80,
                             t1MS: 1150...1450, t2MS: 40...55, suv: 0.8...1.2),
        TissuePropertyRanges(tissue: .fat, ctHU: -100 ... -80, protonDensity: 0.90...1.00,
                             t1MS: 360...400, t2MS: 80...120, suv: 0.3...0.6),
        TissuePropertyRanges(tissue: .corticalBone, ctHU: 1000...1800, protonDensity: 0.15...0.25,
                             t1MS: 220...260, t2MS: 0.5...1.0, suv: 0.5...1.0),
        TissuePropertyRanges(tissue: .diploe, ctHU: 300...700, protonDensity: 0.60...0.80,
                             t1MS: 360...420, t2MS: 50...70, suv: 0.7...1.3),
        TissuePropertyRanges(tissue: .csf, ctHU: 0...15, protonDensity: 0.98...1.00,
                             t1MS: 3800...4500, t2MS: 1500...2200, suv: 0.2...0.4),
        TissuePropertyRanges(tissue: .ventricles, ctHU: 0...15, protonDensity: 0.98...1.00,
                             t1MS: 3800...4500, t2MS: 1500...2200, suv: 0.2...0.4),
        TissuePropertyRanges(tissue: .greyMatter, ctHU: 35...45, protonDensity: 0.78...0.83,
                             t1MS: 1300...1500, t2MS: 85...100, suv: 8.0...10.0),
        TissuePropertyRanges(tissue: .whiteMatter, ctHU: 25...35, protonDensity: 0.68...0.71,
                             t1MS: 800...900, t2MS: 70...80, suv: 2.5...3.5),
        TissuePropertyRanges(tissue: .deepGreyMatter, ctHU: 35...45, protonDensity: 0.74...0.80,
                             t1MS: 1100...1300, t2MS: 70...85, suv: 7.0...9.0),
    ])
}
