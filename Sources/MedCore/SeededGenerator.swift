/// A seeded, portable pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// All randomness in MedSynth flows from an explicit instance of this type: the same seed gives the same
/// sequence on every machine and every run. `split(_:)` derives independent streams for parallel work so the
/// result does not depend on the number of threads.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The four 64-bit words of xoshiro256** state (saved in checkpoints to resume exactly).
    public private(set) var state: [UInt64]

    /// Creates a generator from a seed.
    /// - Parameter seed: any 64-bit value; equal seeds give equal streams.
    public init(seed: UInt64) {
        var sm = seed
        var s = [UInt64](repeating: 0, count: 4)
        for i in 0..<4 { s[i] = SeededGenerator.splitMix64(&sm) }
        state = s
    }

    /// Restores a generator from saved state.
    /// - Precondition: `state` has four words, not all zero.
    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "xoshiro256** state must be 4 words, not all zero")
        self.state = state
    }

    private static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = SeededGenerator.rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = SeededGenerator.rotl(state[3], 45)
        return result
    }

    /// A generator for sub-stream `index`, independent of this one's future output and of other indices.
    /// - Parameter index: the stream number (a case index, a worker index).
    public func split(_ index: UInt64) -> SeededGenerator {
        var mix = state[0] ^ SeededGenerator.rotl(state[2], 23) ^ (index &* 0xD1B5_4A32_D192_ED03)
        return SeededGenerator(seed: SeededGenerator.splitMix64(&mix))
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform Double in `[lower, upper)`.
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * nextUnitDouble()
    }

    /// A standard normal sample (Box–Muller; uses two uniforms per call, no cached state, so the stream is a
    /// pure function of the number of calls).
    public mutating func nextNormal() -> Double {
        let u1 = max(nextUnitDouble(), 0x1p-60)
        let u2 = nextUnitDouble()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
