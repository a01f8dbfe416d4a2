import MedCore
import MedIO
import MedTensor

/// A fitted, invertible intensity normalisation: the window of physical values [lowerValue, upperValue] (in
/// `unit`) that maps to the networks' range [−1, 1], and back. Saved with a run (Codable) so `translate` can
/// turn network outputs into HU, SUV or MR units.
///
/// normalised = clamp(2 · (v − lower) / (upper − lower) − 1, −1, 1)
/// physical   = lower + (clamp(n, −1, 1) + 1) / 2 · (upper − lower)
///
/// Inside the window `physical(normalized(v))` returns v up to Float32 rounding (computed in Double, rounded
/// once each way: at most about (upper − lower) · 2⁻²⁴ plus half an ulp of v); values outside come back as the
/// nearest bound.
public struct IntensityMapping: Equatable, Sendable, Codable, CustomStringConvertible {
    /// The modality of the volumes this mapping normalises.
    public let modality: Modality
    /// The unit of `lowerValue` and `upperValue`: HU, SUV or arbitrary.
    public let unit: IntensityUnit
    /// The physical value mapped to −1.
    public let lowerValue: Double
    /// The physical value mapped to +1.
    public let upperValue: Double
    /// The rule the window came from (for the record; the window alone defines the mapping).
    public let normalization: IntensityNormalization

    /// Creates a mapping.
    /// - Throws: `MedSynthError(.invalidArgument)` unless both bounds are finite and `lowerValue < upperValue`,
    ///   or for a label unit.
    public init(modality: Modality, unit: IntensityUnit, lowerValue: Double, upperValue: Double,
                normalization: IntensityNormalization) throws {
        guard lowerValue.isFinite, upperValue.isFinite, lowerValue < upperValue else {
            throw MedSynthError(.invalidArgument, "intensity mapping",
                                "window [\(lowerValue), \(upperValue)] \(unit.rawValue) is invalid; expected finite bounds with lower < upper")
        }
        guard unit != .label else {
            throw MedSynthError(.invalidArgument, "intensity mapping", "unit 'label' cannot be normalised; expected HU, SUV or arbitrary")
        }
        self.modality = modality
        self.unit = unit
        self.lowerValue = lowerValue
        self.upperValue = upperValue
        self.normalization = normalization
    }

    /// Decodes, rejecting invalid windows.
    public init(from decoder: Decoder) throws {
        let r = try StrictKeyReader(decoder, what: "intensity mapping")
        guard let modality: Modality = try r.optional("modality"), let unit: IntensityUnit = try r.optional("unit"),
              let lower: Double = try r.optional("lowerValue"), let upper: Double = try r.optional("upperValue"),
              let normalization: IntensityNormalization = try r.optional("normalization") else {
            throw MedSynthError(.invalidArgument, "intensity mapping",
                                "needs modality, unit, lowerValue, upperValue and normalization")
        }
        try r.finish()
        try self.init(modality: modality, unit: unit, lowerValue: lower, upperValue: upper, normalization: normalization)
    }

    private enum CodingKeys: String, CodingKey { case modality, unit, lowerValue, upperValue, normalization }

    /// Encodes every field.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modality, forKey: .modality)
        try c.encode(unit, forKey: .unit)
        try c.encode(lowerValue, forKey: .lowerValue)
        try c.encode(upperValue, forKey: .upperValue)
        try c.encode(normalization, forKey: .normalization)
    }

    /// `upperValue − lowerValue`.
    public var width: Double { upperValue - lowerValue }

    /// "CT [-1024, 2000] HU (ctWindow -1024.0…2000.0 HU)".
    public var description: String {
        "\(modality.rawValue) [\(lowerValue), \(upperValue)] \(unit.rawValue) (\(normalization))"
    }

    // MARK: - Values

    /// The normalised value of physical `value`: 2 · (v − lower) / width − 1, clipped to [−1, 1].
    @inline(__always)
    public func normalized(_ value: Float) -> Float {
        // (2(v − lower) − width) / width: exact at both bounds and the centre, where a multiplication by the
        // rounded 2 / width would not be.
        let n = Float((2 * (Double(value) - lowerValue) - width) / width)
        return n > 1 ? 1 : (n < -1 ? -1 : n)   // NaN stays NaN
    }

    /// The physical value of normalised `value` (clipped to [−1, 1] first): lower + (n + 1)/2 · width.
    @inline(__always)
    public func physical(_ value: Float) -> Float {
        let n = value > 1 ? 1 : (value < -1 ? -1 : Double(value))
        return Float(lowerValue + (n + 1) * (width / 2))
    }

    /// `normalized(_:)` of every value.
    public func normalize<C: Collection>(_ values: C) -> [Float] where C.Element == Float {
        values.map(normalized)
    }

    /// `physical(_:)` of every value.
    public func physicalValues<C: Collection>(_ values: C) -> [Float] where C.Element == Float {
        values.map(physical)
    }

    /// The physical values of a tensor of normalised values (network output), row-major.
    public func physicalValues(of tensor: Tensor) -> [Float] {
        tensor.withUnsafeBufferPointer { physicalValues($0) }
    }

    /// Network output slices [N, 1, H, W] as a volume of N slices in this mapping's modality and unit.
    /// - Parameter affine: the voxel-to-world transform of the slices (the input volume's, shifted to the first
    ///   slice when N is a sub-range).
    /// - Precondition: `tensor` has shape [N, 1, H, W].
    public func volume(fromNormalized tensor: Tensor, affine: Affine = .identity) -> Volume {
        precondition(tensor.rank == 4 && tensor.shape[1] == 1,
                     "expected network output [N, 1, H, W], got \(tensor.shape)")
        let shape = VolumeShape(depth: tensor.shape[0], height: tensor.shape[2], width: tensor.shape[3])
        return Volume(shape: shape, voxels: physicalValues(of: tensor), affine: affine, modality: modality, unit: unit)
    }

    /// The normalised voxels of a volume in this mapping's unit.
    /// - Parameter subject: what the volume is, for the message.
    /// - Throws: `MedSynthError(.mismatch)` naming `subject` when the volume's unit is not `unit`.
    public func normalize(_ volume: Volume, subject: String) throws -> [Float] {
        guard volume.unit == unit else {
            throw MedSynthError(.mismatch, subject, "is in unit '\(volume.unit.rawValue)'; this mapping (\(self)) expects \(unit.rawValue)")
        }
        return normalize(volume.voxels)
    }
}
