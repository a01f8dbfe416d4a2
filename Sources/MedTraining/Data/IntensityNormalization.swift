import MedCore
import MedIO

/// How the physical values of one modality map to the networks' range [−1, 1]: a rule that, fitted to a volume,
/// gives an invertible `IntensityMapping` (a window of physical values, [lower, upper] ↦ [−1, 1], clipped).
///
/// | rule | window | for |
/// |---|---|---|
/// | `ctWindow(lowerHU:upperHU:)` | fixed, in HU | CT (default −1024…2000 HU) |
/// | `percentiles(lower:upper:)` | the volume's percentiles (numpy's linear rule) | MR (default 0.5…99.9) |
/// | `zScore(clipSigma:)` | mean ± k·std of the volume: (v − μ)/(k·σ), clipped | MR, alternative |
/// | `suvScaling(maxSUV:)` | fixed [0, maxSUV] in SUV: 2·SUV/maxSUV − 1 | PET (default maxSUV 15) |
///
/// Defaults (`standard(for:)`), from the phantom's tissue values (docs/TISSUE_PARAMETERS.md):
/// - **CT −1024…2000 HU.** −1024 HU is the phantom's clamp (`ct.minimumHU`) and the lowest value a 12-bit CT
///   stores, so nothing real is clipped below; the densest tissue is cortical bone at ≤ 1800 HU (+ 8 HU noise σ;
///   1664 HU measured in a 2-case phantom), so 2000 HU leaves a margin while keeping soft tissue 35 % more of
///   the output range than the full 12-bit window −1024…3071 would. Round trips are exact for every phantom voxel.
/// - **MR percentiles 0.5…99.9 per volume.** MR units are arbitrary and vary with gain and bias, so each volume
///   gets its own window. The head fills only 25–40 % of a phantom volume; the whole-volume 99.5th percentile
///   then falls inside the brightest tissue's noise band (T2 CSF), clips ~3 % of brain voxels on T2 and moves
///   from case to case (552 vs 621 on two T2 cases); the 99.9th clips < 0.7 % of brain voxels and is stable
///   (639, 639). The 0.5th percentile is background noise, ≈ 0.
/// - **PET SUV / 15.** SUV is quantitative and comparable between cases, so the scale is fixed (not per
///   volume). Grey matter is ≤ 10 SUV before blurring and a hot lesion rim ≤ 3.5 × white matter ≤ 12.25 SUV,
///   plus noise; 15 keeps all of these unclipped.
///
/// Configs write it as one flat map holding `method` and the parameters of every method (so a run
/// configuration's defaults list every key): `{method: percentiles, lowerHU: -1024, upperHU: 2000,
/// lowerPercentile: 0.5, upperPercentile: 99.9, clipSigma: 3, maxSUV: 15}`. Only the method's own parameters
/// are used; missing ones take the defaults above; a parameter of another method changed from its default,
/// or an unknown key, is rejected with a message naming it.
public enum IntensityNormalization: Equatable, Sendable, CustomStringConvertible {
    /// A fixed HU window [lowerHU, upperHU] ↦ [−1, 1], clipped outside. Needs volumes in HU.
    case ctWindow(lowerHU: Double, upperHU: Double)
    /// The volume's `lower` and `upper` percentiles (0…100, numpy's linear interpolation over every voxel)
    /// ↦ −1 and +1, clipped outside. Any unit but labels.
    case percentiles(lower: Double, upper: Double)
    /// (v − μ) / (clipSigma · σ) over every voxel, clipped to [−1, 1]: the window [μ − kσ, μ + kσ]. Any unit but
    /// labels.
    case zScore(clipSigma: Double)
    /// 2 · SUV / maxSUV − 1: the window [0, maxSUV] SUV, clipped. Needs volumes in SUV.
    case suvScaling(maxSUV: Double)

    /// The default CT window, −1024…2000 HU (see the type's documentation).
    public static let defaultCTWindowHU: ClosedRange<Double> = Modality.ctFloorHU...2000
    /// The default MR percentiles, 0.5…99.9.
    public static let defaultPercentiles: ClosedRange<Double> = 0.5...99.9
    /// The default z-score clip, 3 standard deviations.
    public static let defaultClipSigma = 3.0
    /// The default PET scale, 15 SUV.
    public static let defaultMaxSUV = 15.0

    /// The default rule of a modality: CT → HU window, PET → SUV scaling, MR (and unknown) → percentiles.
    /// Label maps have no rule (fitting one fails); this returns percentiles for them only to be total.
    public static func standard(for modality: Modality) -> IntensityNormalization {
        switch modality {
        case .ct: return .ctWindow(lowerHU: defaultCTWindowHU.lowerBound, upperHU: defaultCTWindowHU.upperBound)
        case .pet: return .suvScaling(maxSUV: defaultMaxSUV)
        default:
            return .percentiles(lower: defaultPercentiles.lowerBound, upper: defaultPercentiles.upperBound)
        }
    }

    /// The name configs use for the rule (`method:`).
    public var methodName: String {
        switch self {
        case .ctWindow: return "ctWindow"
        case .percentiles: return "percentiles"
        case .zScore: return "zScore"
        case .suvScaling: return "suvScaling"
        }
    }

    /// The unit a volume must be in, nil when any non-label unit will do.
    public var requiredUnit: IntensityUnit? {
        switch self {
        case .ctWindow: return .hounsfield
        case .suvScaling: return .suv
        case .percentiles, .zScore: return nil
        }
    }

    /// True when the window depends on the volume (percentiles, z-score), so each volume's mapping must be kept
    /// to map its values back.
    public var isPerVolume: Bool { requiredUnit == nil }

    /// "ctWindow −1024…2000 HU", "percentiles 0.5…99.9", ….
    public var description: String {
        switch self {
        case let .ctWindow(l, u): return "ctWindow \(l)…\(u) HU"
        case let .percentiles(l, u): return "percentiles \(l)…\(u)"
        case let .zScore(k): return "zScore ±\(k)σ"
        case let .suvScaling(m): return "suvScaling 0…\(m) SUV"
        }
    }

    /// Checks the parameters.
    /// - Parameter subject: the option being checked, for the message (`normalizationA`).
    /// - Throws: `MedSynthError(.invalidArgument)` naming `subject`, quoting the rule and what was expected.
    public func validate(subject: String = "normalization") throws {
        let ok: Bool
        let expected: String
        switch self {
        case let .ctWindow(l, u):
            ok = l.isFinite && u.isFinite && l < u
            expected = "finite lowerHU < upperHU"
        case let .percentiles(l, u):
            ok = l >= 0 && u <= 100 && l < u
            expected = "percentiles with 0 <= lower < upper <= 100"
        case let .zScore(k):
            ok = k.isFinite && k > 0
            expected = "clipSigma > 0"
        case let .suvScaling(m):
            ok = m.isFinite && m > 0
            expected = "maxSUV > 0"
        }
        guard ok else { throw MedSynthError(.invalidArgument, subject, "is \(self); expected \(expected)") }
    }

    /// The mapping of a fixed-window rule (CT window, SUV scaling), which needs no volume; nil for per-volume
    /// rules (their window comes from `fit`).
    /// - Parameter modality: recorded in the mapping.
    public func fixedMapping(modality: Modality) -> IntensityMapping? {
        switch self {
        case let .ctWindow(l, u):
            return try? IntensityMapping(modality: modality, unit: .hounsfield, lowerValue: l, upperValue: u, normalization: self)
        case let .suvScaling(m):
            return try? IntensityMapping(modality: modality, unit: .suv, lowerValue: 0, upperValue: m, normalization: self)
        case .percentiles, .zScore:
            return nil
        }
    }

    /// Fits the rule to a volume: its window, as an invertible mapping.
    /// - Parameters:
    ///   - volume: the volume to normalise (its unit is checked against the rule).
    ///   - subject: what the volume is, for messages (`FILE: case 'case003' CT`).
    /// - Returns: the mapping that normalises this volume and maps network outputs back to its unit.
    /// - Throws: `MedSynthError` naming `subject`: `.invalidArgument` (bad parameters), `.mismatch` (a label map,
    ///   or a unit the rule cannot take: a CT window on arbitrary units), `.corrupt` (non-finite voxels),
    ///   `.unsupported` (a per-volume window that is empty: a constant volume).
    public func fit(_ volume: Volume, subject: String) throws -> IntensityMapping {
        try validate()
        guard volume.unit != .label, volume.modality != .label else {
            throw MedSynthError(.mismatch, subject, "is a label map (unit 'label'); \(methodName) normalises images, not labels")
        }
        if let unit = requiredUnit, volume.unit != unit {
            throw MedSynthError(.mismatch, subject,
                                "is in unit '\(volume.unit.rawValue)' (modality \(volume.modality.rawValue)); \(self) needs a volume in \(unit.rawValue)")
        }
        let nonFinite = volume.voxels.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        guard nonFinite == 0 else {
            throw MedSynthError(.corrupt, subject, "has \(nonFinite) non-finite voxels (NaN or ±inf); expected finite values to normalise")
        }
        if let fixed = fixedMapping(modality: volume.modality) { return fixed }
        let window: (lower: Double, upper: Double)
        switch self {
        case let .percentiles(pl, pu):
            let p = Self.percentiles(of: volume.voxels, [pl, pu])
            window = (p[0], p[1])
        case let .zScore(k):
            let (mean, std) = Self.meanAndStandardDeviation(volume.voxels)
            window = (mean - k * std, mean + k * std)
        case .ctWindow, .suvScaling:
            preconditionFailure("fixed windows returned above")
        }
        let (lower, upper) = window
        guard upper > lower else {
            throw MedSynthError(.unsupported, subject,
                                "gives the empty window [\(lower), \(upper)] with \(self) (a constant volume?); expected values that vary")
        }
        return try IntensityMapping(modality: volume.modality, unit: volume.unit, lowerValue: lower, upperValue: upper,
                                    normalization: self)
    }

    /// The `p`-th percentile (0…100) of ascending `sorted` values with numpy's default (linear) rule:
    /// rank r = p/100 · (n − 1), value = a[⌊r⌋] + (r − ⌊r⌋)·(a[⌊r⌋ + 1] − a[⌊r⌋]).
    /// The reference for `percentiles(of:_:)`.
    /// - Precondition: `sorted` is not empty.
    static func percentile(sorted: [Float], _ p: Double) -> Double {
        precondition(!sorted.isEmpty, "percentile of no values")
        let (lo, hi, fraction) = rankBracket(p, count: sorted.count)
        return Double(sorted[lo]) + fraction * (Double(sorted[hi]) - Double(sorted[lo]))
    }

    /// The order statistics numpy's linear rule interpolates between for percentile `p` of `count` values.
    private static func rankBracket(_ p: Double, count: Int) -> (lo: Int, hi: Int, fraction: Double) {
        let rank = p / 100 * Double(count - 1)
        let lo = min(Int(rank.rounded(.down)), count - 1)
        return (lo, min(lo + 1, count - 1), rank - Double(lo))
    }

    /// The percentiles `ps` (0…100) of unsorted finite `values`, equal to `percentile(sorted: values.sorted(), p)`
    /// but without sorting: a 65 536-bin histogram over [min, max] finds the bin holding each needed order
    /// statistic, and only that bin's values are sorted (a 128×256×256 volume: ~0.1 s instead of ~2 s).
    /// - Precondition: `values` is not empty and finite.
    static func percentiles(of values: [Float], _ ps: [Double]) -> [Double] {
        precondition(!values.isEmpty, "percentiles of no values")
        var (minimum, maximum) = (values[0], values[0])
        for v in values { minimum = min(minimum, v); maximum = max(maximum, v) }
        guard minimum < maximum else { return ps.map { _ in Double(minimum) } }
        let bins = 1 << 16
        // Monotone in v (a positive scale, then floor), so bin order is value order.
        let scale = Double(bins) / (Double(maximum) - Double(minimum))
        @inline(__always) func bin(_ v: Float) -> Int { min(Int((Double(v) - Double(minimum)) * scale), bins - 1) }
        var counts = [Int](repeating: 0, count: bins)
        for v in values { counts[bin(v)] += 1 }
        var starts = [Int](repeating: 0, count: bins)   // rank of each bin's first value
        for b in 1..<bins { starts[b] = starts[b - 1] + counts[b - 1] }

        var sortedBins: [Int: [Float]] = [:]
        func orderStatistic(_ rank: Int) -> Float {
            // The last bin whose first rank is ≤ rank (binary search over the non-decreasing starts). It holds
            // the rank: later bins start above it, and an empty bin shares its successor's start.
            var (lo, hi) = (0, bins - 1)
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if starts[mid] <= rank { lo = mid } else { hi = mid - 1 }
            }
            if sortedBins[lo] == nil { sortedBins[lo] = values.filter { bin($0) == lo }.sorted() }
            return sortedBins[lo]![rank - starts[lo]]
        }
        return ps.map { p in
            let (lo, hi, fraction) = rankBracket(p, count: values.count)
            let a = Double(orderStatistic(lo)), b = Double(orderStatistic(hi))
            return a + fraction * (b - a)
        }
    }

    /// Mean and population standard deviation (numpy's `std`), accumulated in Double.
    static func meanAndStandardDeviation(_ values: [Float]) -> (Double, Double) {
        guard !values.isEmpty else { return (0, 0) }
        var sum = 0.0
        for v in values { sum += Double(v) }
        let mean = sum / Double(values.count)
        var squares = 0.0
        for v in values { let d = Double(v) - mean; squares += d * d }
        return (mean, (squares / Double(values.count)).squareRoot())
    }
}

extension IntensityNormalization: Codable {
    /// The method name that stands for "the modality's standard rule" where a rule is optional
    /// (`SliceDatasetOptions.normalizationA`/`B`).
    static let standardMethodName = "standard"

    /// Every key of the flat form and the method that uses it.
    private static let parameterMethods: [(key: String, method: String)] = [
        ("lowerHU", "ctWindow"), ("upperHU", "ctWindow"), ("lowerPercentile", "percentiles"),
        ("upperPercentile", "percentiles"), ("clipSigma", "zScore"), ("maxSUV", "suvScaling"),
    ]

    /// The defaults of the flat form's parameters, by key.
    private static let parameterDefaults: [String: Double] = [
        "lowerHU": defaultCTWindowHU.lowerBound, "upperHU": defaultCTWindowHU.upperBound,
        "lowerPercentile": defaultPercentiles.lowerBound, "upperPercentile": defaultPercentiles.upperBound,
        "clipSigma": defaultClipSigma, "maxSUV": defaultMaxSUV,
    ]

    /// This rule's parameters by key (the keys of its method only).
    private var parameters: [String: Double] {
        switch self {
        case let .ctWindow(l, u): return ["lowerHU": l, "upperHU": u]
        case let .percentiles(l, u): return ["lowerPercentile": l, "upperPercentile": u]
        case let .zScore(k): return ["clipSigma": k]
        case let .suvScaling(m): return ["maxSUV": m]
        }
    }

    /// Decodes the flat form (see `encode(to:)`); missing parameters take their defaults.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the key's dotted path: a missing or unknown `method`,
    ///   an unknown key, a parameter of another method set to a non-default value, or parameters `validate()`
    ///   rejects.
    public init(from decoder: Decoder) throws {
        guard let rule = try Self.decodeSetting(decoder, allowStandard: false) else {
            preconditionFailure("decodeSetting returns nil only for the standard method, which is not allowed here")
        }
        self = rule
    }

    /// Encodes the flat form — `method` and every parameter of every method, those of other methods at their
    /// defaults — so that a configuration's default encoding lists every key (`ConfigLoader` needs that):
    /// `{method: ctWindow, lowerHU: -1024, upperHU: 2000, lowerPercentile: 0.5, upperPercentile: 99.9,
    /// clipSigma: 3, maxSUV: 15}`.
    public func encode(to encoder: Encoder) throws {
        try Self.encodeSetting(self, to: encoder)
    }

    /// Decodes the flat form; nil for method `standard` when `allowStandard`.
    static func decodeSetting(_ decoder: Decoder, allowStandard: Bool) throws -> IntensityNormalization? {
        let r = try StrictKeyReader(decoder, what: "a normalization")
        let methods = (allowStandard ? [standardMethodName] : []) + ["ctWindow", "percentiles", "zScore", "suvScaling"]
        guard let method: String = try r.optional("method") else {
            throw MedSynthError(.invalidArgument, r.subject("method"), "is missing; expected one of \(methods.joined(separator: ", "))")
        }
        var p: [String: Double] = [:]
        for (key, _) in parameterMethods { p[key] = try r.value(key, default: parameterDefaults[key]!) }
        try r.finish()
        let rule: IntensityNormalization?
        switch method {
        case standardMethodName where allowStandard: rule = nil
        case "ctWindow": rule = .ctWindow(lowerHU: p["lowerHU"]!, upperHU: p["upperHU"]!)
        case "percentiles": rule = .percentiles(lower: p["lowerPercentile"]!, upper: p["upperPercentile"]!)
        case "zScore": rule = .zScore(clipSigma: p["clipSigma"]!)
        case "suvScaling": rule = .suvScaling(maxSUV: p["maxSUV"]!)
        default:
            throw MedSynthError(.invalidArgument, r.subject("method"), "is '\(method)'; expected one of \(methods.joined(separator: ", "))")
        }
        // A parameter of another method that was changed is a mistake (`method: percentiles` with `lowerHU`).
        for (key, owner) in parameterMethods where owner != method && p[key]! != parameterDefaults[key]! {
            throw MedSynthError(.invalidArgument, r.subject(key),
                                "is \(p[key]!), but method '\(method)' does not use it; expected method '\(owner)' or the default \(parameterDefaults[key]!)")
        }
        try rule?.validate(subject: r.path.isEmpty ? "normalization" : r.path)
        return rule
    }

    /// Encodes the flat form of `rule`; nil encodes method `standard` with every parameter at its default.
    static func encodeSetting(_ rule: IntensityNormalization?, to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(rule?.methodName ?? standardMethodName, forKey: AnyCodingKey("method"))
        let own = rule?.parameters ?? [:]
        for (key, _) in parameterMethods {
            try c.encode(own[key] ?? parameterDefaults[key]!, forKey: AnyCodingKey(key))
        }
    }
}
