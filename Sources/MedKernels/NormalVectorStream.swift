import MedCore

/// Standard normal variates sixteen at a time, for the noise kernels: eight xoshiro128** generators side by side
/// (one per SIMD lane) feed the Box–Muller transform on all eight lanes, with lane-wise arithmetic only (no table
/// lookups, no branches; PyTorch's CPU `randn` is vectorised Box–Muller too).
///
/// Per lane, two 32-bit words a and b give one pair of independent standard normals (r·x, r·y):
/// - the radius r = √(−2 ln u), u = 1 − (a >> 9)·2⁻²³ in (0, 1] (23 bits: the largest radius is √(46 ln 2)
///   ≈ 5.65, beyond which a normal falls with probability 1.6e-8); ln u by `FastMath.log2`, the root by
///   `FastMath.squareRoot`;
/// - a direction uniform on the circle: φ = π/4·(b >> 9)·2⁻²³ uniform in [0, π/4), (cos φ, sin φ) by their
///   Taylor series (to φ⁸ and φ⁹, truncation below 3e-8 on [0, π/4]), then one of the eight symmetries of the
///   square chosen by the three low bits of b (bit 0 swaps the pair, bits 1 and 2 negate x and y), which maps
///   the octant onto the whole circle, each octant equally often.
///
/// The arithmetic has a fixed order and no fused multiply-adds, so every SIMD level (`SIMDLevel`) gives the
/// same bits. The test oracle, `NormalVectorStreamReference` in the tests, evaluates the same formula in Double
/// from the same words.
struct NormalVectorStream {
    typealias Words = SIMD8<UInt32>
    private var s0: Words, s1: Words, s2: Words, s3: Words

    /// Seeds the eight lanes from 16 outputs of `generator`.
    init(seededBy generator: SeededGenerator) {
        let lanes = NormalVectorStream.seeds(generator)
        s0 = Words(lanes[0..<8]); s1 = Words(lanes[8..<16]); s2 = Words(lanes[16..<24]); s3 = Words(lanes[24..<32])
    }

    /// The 32 state words: s0 of lanes 0…7, then s1, s2, s3; no lane all zero.
    static func seeds(_ generator: SeededGenerator) -> [UInt32] {
        var g = generator
        var words: [UInt32] = []
        for _ in 0..<16 {
            let x = g.next()
            words.append(UInt32(truncatingIfNeeded: x))
            words.append(UInt32(truncatingIfNeeded: x >> 32))
        }
        for lane in 0..<8 where words[lane] | words[lane + 8] | words[lane + 16] | words[lane + 24] == 0 {
            words[lane] = 0x9E37_79B9   // an all-zero xoshiro state would stay zero
        }
        return words
    }

    /// The next word of every lane (xoshiro128**: rotl(s1·5, 7)·9). Rotations are written with `&+`: LLVM turns
    /// `(x << 7) | (x >> 25)` on vectors into eight scalar `rol`s on SSE2.
    @inline(__always)
    mutating func nextWords() -> Words {
        let m = s1 &+ (s1 &<< 2)
        let r = (m &<< 7) &+ (m &>> 25)
        let result = r &+ (r &<< 3)
        let t = s1 &<< 9
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 &<< 11) &+ (s3 &>> 21)
        return result
    }

    /// Sixteen standard normal variates as eight pairs: lane q of the two vectors is one Box–Muller pair (two
    /// independent normals).
    @inline(__always)
    mutating func nextPair() -> (SIMD8<Float>, SIMD8<Float>) {
        let a = nextWords(), b = nextWords()
        return Self.boxMuller(radiusWords: a, angleWords: b)
    }

    /// The pairs of words a (radius) and b (direction), lane by lane (see the type's documentation).
    @inline(__always)
    static func boxMuller(radiusWords a: Words, angleWords b: Words) -> (SIMD8<Float>, SIMD8<Float>) {
        typealias V = SIMD8<Float>
        typealias I = SIMD8<Int32>
        let one = V(repeating: 1)
        // 1 + (a >> 9)·2⁻²³ in [1, 2) from the bits (the 23 bits become the mantissa); 2 minus it is exact.
        let u = 2 - unsafeBitCast((a &>> 9) | 0x3F80_0000, to: V.self)
        let r = FastMath.squareRoot(FastMath.log2(u) * Float(-2 * 0.693_147_180_559_945_3))
        let phi = (unsafeBitCast((b &>> 9) | 0x3F80_0000, to: V.self) - one) * Float(Double.pi / 4)
        let p2 = phi * phi
        // cos φ = 1 − φ²/2! + φ⁴/4! − φ⁶/6! + φ⁸/8!, sin φ = φ(1 − φ²/3! + φ⁴/5! − φ⁶/7! + φ⁸/9!), by Horner.
        var c = p2 * Float(1.0 / 40_320) + Float(-1.0 / 720)
        c = c * p2 + Float(1.0 / 24)
        c = c * p2 + Float(-0.5)
        c = c * p2 + one
        var s = p2 * Float(1.0 / 362_880) + Float(-1.0 / 5040)
        s = s * p2 + Float(1.0 / 120)
        s = s * p2 + Float(-1.0 / 6)
        s = s * p2 + one
        s = s * phi
        // The symmetry as bit masks (no selects): swap where bit 0 is set, then flip the sign bits.
        let bits = unsafeBitCast(b, to: I.self)
        let swap = (bits &<< 31) &>> 31
        let ci = unsafeBitCast(c, to: I.self), si = unsafeBitCast(s, to: I.self)
        let exchanged = (ci ^ si) & swap
        let x = (ci ^ exchanged) ^ ((bits &<< 30) & Int32.min)
        let y = (si ^ exchanged) ^ ((bits &<< 29) & Int32.min)
        return (r * unsafeBitCast(x, to: V.self), r * unsafeBitCast(y, to: V.self))
    }
}
