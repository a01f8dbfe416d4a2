import MedCore

/// A smooth multiplicative MR bias field b = exp(P(x̂, ŷ, ẑ)), with P a polynomial of total degree ≤ 3 in
/// coordinates normalised to [−1, 1] across the grid (x̂ along width, ŷ along height, ẑ along depth).
public struct BiasField: Codable, Sendable, Equatable {
    /// Total degree of P (0…3).
    public var degree: Int
    /// Coefficients of the monomials x̂^a ŷ^b ẑ^c in `BiasField.exponents(degree:)` order.
    public var coefficients: [Double]

    /// Creates a field.
    /// - Precondition: `coefficients.count == BiasField.exponents(degree: degree).count`, `0...3 ~= degree`.
    public init(degree: Int, coefficients: [Double]) {
        precondition((0...3).contains(degree), "bias-field degree \(degree) outside 0...3")
        precondition(coefficients.count == BiasField.exponents(degree: degree).count,
                     "bias-field degree \(degree) needs \(BiasField.exponents(degree: degree).count) coefficients, got \(coefficients.count)")
        self.degree = degree
        self.coefficients = coefficients
    }

    /// The monomial exponents (a, b, c) with a + b + c ≤ degree, ordered by total degree, then a, then b.
    public static func exponents(degree: Int) -> [SIMD3<Int>] {
        var out: [SIMD3<Int>] = []
        for total in 0...max(0, degree) {
            for a in stride(from: total, through: 0, by: -1) {
                for b in stride(from: total - a, through: 0, by: -1) { out.append(SIMD3(a, b, total - a - b)) }
            }
        }
        return out
    }

    /// A flat field (b = 1).
    public static let flat = BiasField(degree: 0, coefficients: [0])

    /// Draws a random field: non-constant coefficients uniform in [−1, 1], then scaled so that the largest |P| on
    /// a 9 × 9 × 9 lattice over [−1, 1]³ is ln(1 + strength). The constant term is 0.
    /// - Parameters:
    ///   - degree: total degree, 0…3.
    ///   - strength: s ≥ 0; the gain stays within ≈ [1/(1 + s), 1 + s].
    ///   - generator: the seeded stream.
    public static func draw(degree: Int, strength: Double, using generator: inout SeededGenerator) -> BiasField {
        let terms = exponents(degree: degree)
        var c = terms.map { $0 == .zero ? 0 : generator.uniform(-1, 1) }
        var field = BiasField(degree: degree, coefficients: c)
        var peak = 0.0
        for a in 0..<9 { for b in 0..<9 { for d in 0..<9 {
            let x = Double(a) / 4 - 1, y = Double(b) / 4 - 1, z = Double(d) / 4 - 1
            peak = max(peak, abs(field.logGain(x: x, y: y, z: z)))
        } } }
        let target = log(1 + strength)
        let factor = peak > 0 ? target / peak : 0
        c = c.map { $0 * factor }
        field = BiasField(degree: degree, coefficients: c)
        return field
    }

    /// P(x̂, ŷ, ẑ): the natural log of the gain.
    public func logGain(x: Double, y: Double, z: Double) -> Double {
        var sum = 0.0
        for (e, c) in zip(BiasField.exponents(degree: degree), coefficients) {
            sum += c * pow(x, Double(e.x)) * pow(y, Double(e.y)) * pow(z, Double(e.z))
        }
        return sum
    }

    /// The gain exp(P) at normalised coordinates.
    public func gain(x: Double, y: Double, z: Double) -> Double { exp(logGain(x: x, y: y, z: z)) }

    /// For a fixed row (ŷ, ẑ), the coefficients r₀…r₃ of P as a cubic in x̂: P = r₀ + x̂(r₁ + x̂(r₂ + x̂ r₃)).
    /// The renderer evaluates the field with this and Horner's rule, one exp per voxel.
    public func rowPolynomial(y: Double, z: Double) -> SIMD4<Double> {
        var r = SIMD4<Double>.zero
        for (e, c) in zip(BiasField.exponents(degree: degree), coefficients) {
            r[e.x] += c * pow(y, Double(e.y)) * pow(z, Double(e.z))
        }
        return r
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
