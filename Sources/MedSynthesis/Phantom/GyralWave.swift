import MedCore

/// One spherical wave cos(ω·(u·v) + φ) of the gyral field. The phantom's gyral field g(u) is the normalised sum
/// of several such waves with random directions; its zero set on the sphere is a random network of curves,
/// which become the sulci.
public struct GyralWave: Codable, Sendable, Equatable {
    /// The wave's axis v (unit vector, head frame).
    public var direction: SIMD3<Double>
    /// Angular frequency ω (radians per unit of u·v).
    public var angularFrequency: Double
    /// Phase φ (radians).
    public var phase: Double

    /// Creates a wave.
    public init(direction: SIMD3<Double>, angularFrequency: Double, phase: Double) {
        self.direction = direction
        self.angularFrequency = angularFrequency
        self.phase = phase
    }

    /// Draws `count` waves with directions uniform on the sphere, frequencies uniform in `angularFrequency` and
    /// phases uniform in [0, 2π).
    public static func draw(count: Int, angularFrequency: ClosedRange<Double>,
                            using generator: inout SeededGenerator) -> [GyralWave] {
        (0..<count).map { _ in
            let v = SphericalBump.randomUnitVector(using: &generator)
            let w = generator.uniform(angularFrequency.lowerBound, angularFrequency.upperBound)
            let phi = generator.uniform(0, 2 * Double.pi)
            return GyralWave(direction: v, angularFrequency: w, phase: phi)
        }
    }

    /// The normalised gyral field g(u) = Σ cos(ω_k (u·v_k) + φ_k) / √(K/2) (unit variance for random phases) and
    /// the length of its gradient along the sphere, |(I − uuᵀ)∇g| (per radian).
    /// - Parameters:
    ///   - waves: the K waves.
    ///   - u: a unit direction.
    public static func field(_ waves: [GyralWave], at u: SIMD3<Double>) -> (value: Double, tangentialGradient: Double) {
        guard !waves.isEmpty else { return (1, 0) }
        var value = 0.0
        var gradient = SIMD3<Double>.zero
        for w in waves {
            let arg = w.angularFrequency * (u * w.direction).sum() + w.phase
            value += cos(arg)
            gradient -= (w.angularFrequency * sin(arg)) * w.direction
        }
        let norm = 1 / (Double(waves.count) / 2).squareRoot()
        let tangential = gradient - (gradient * u).sum() * u
        return (value * norm, (tangential * tangential).sum().squareRoot() * norm)
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
