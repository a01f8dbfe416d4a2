import Foundation
import MedCore
@testable import MedKernels

/// `NormalVectorStream` one lane at a time in Double: the same xoshiro128** words (computed with scalar
/// rotations) and the exact Box–Muller formula with the same bit-to-value mapping, so its values agree with the
/// vector code to Float rounding — the oracle of the vector polynomials, the root and the bit tricks.
struct NormalVectorStreamReference {
    private var state: [[UInt32]]   // state[lane] = [s0, s1, s2, s3]

    init(seededBy generator: SeededGenerator) {
        let words = NormalVectorStream.seeds(generator)
        state = (0..<8).map { lane in [words[lane], words[lane + 8], words[lane + 16], words[lane + 24]] }
    }

    private mutating func nextWords() -> [UInt32] {
        (0..<8).map { lane in
            var s = state[lane]
            let m = s[1] &* 5
            let word = ((m << 7) | (m >> 25)) &* 9
            let t = s[1] << 9
            s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
            s[3] = (s[3] << 11) | (s[3] >> 21)
            state[lane] = s
            return word
        }
    }

    /// The next eight pairs, as `NormalVectorStream.nextPair()` orders them, in Double.
    mutating func nextPair() -> ([Double], [Double]) {
        let a = nextWords(), b = nextWords()
        var x = [Double](repeating: 0, count: 8), y = x
        for lane in 0..<8 {
            let u = 1 - Double(a[lane] >> 9) / 8_388_608
            let r = (-2 * Foundation.log(u)).squareRoot()
            let phi = Double.pi / 4 * Double(b[lane] >> 9) / 8_388_608
            var (c, s) = (Foundation.cos(phi), Foundation.sin(phi))
            if b[lane] & 1 != 0 { swap(&c, &s) }
            if b[lane] & 2 != 0 { c = -c }
            if b[lane] & 4 != 0 { s = -s }
            x[lane] = r * c
            y[lane] = r * s
        }
        return (x, y)
    }
}
