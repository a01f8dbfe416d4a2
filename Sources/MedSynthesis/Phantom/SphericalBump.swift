import MedCore

/// A smooth bump on the unit sphere: amplitude · exp((u·v − 1) / w²), which is ≈ a Gaussian of angular standard
/// deviation w (radians) around the direction v. Sums of a few bumps make the phantom's low-frequency shape and
/// thickness variations.
public struct SphericalBump: Codable, Sendable, Equatable {
    /// The bump's centre direction v (unit vector, head frame).
    public var direction: SIMD3<Double>
    /// Height at the centre (relative units of the field it belongs to).
    public var amplitude: Double
    /// Angular width w (radians).
    public var widthRad: Double

    /// Creates a bump.
    public init(direction: SIMD3<Double>, amplitude: Double, widthRad: Double) {
        self.direction = direction
        self.amplitude = amplitude
        self.widthRad = widthRad
    }

    /// The bump's value at unit direction `u`.
    @inline(__always)
    public func value(at u: SIMD3<Double>) -> Double {
        amplitude * exp(((u * direction).sum() - 1) / (widthRad * widthRad))
    }

    /// Draws `count` bumps with directions uniform on the sphere, amplitudes uniform in ±`maxAmplitude` and widths
    /// uniform in `widthRad`.
    /// - Parameters:
    ///   - count: number of bumps.
    ///   - maxAmplitude: largest |amplitude|.
    ///   - widthRad: range of angular widths.
    ///   - generator: the seeded stream to draw from.
    public static func draw(count: Int, maxAmplitude: Double, widthRad: ClosedRange<Double>,
                            using generator: inout SeededGenerator) -> [SphericalBump] {
        (0..<count).map { _ in
            let v = randomUnitVector(using: &generator)
            let a = generator.uniform(-maxAmplitude, maxAmplitude)
            let w = generator.uniform(widthRad.lowerBound, widthRad.upperBound)
            return SphericalBump(direction: v, amplitude: a, widthRad: w)
        }
    }

    /// A direction uniform on the unit sphere (normalised 3D Gaussian).
    static func randomUnitVector(using generator: inout SeededGenerator) -> SIMD3<Double> {
        while true {
            let v = SIMD3(generator.nextNormal(), generator.nextNormal(), generator.nextNormal())
            let n = (v * v).sum().squareRoot()
            if n > 1e-6 { return v / n }
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
