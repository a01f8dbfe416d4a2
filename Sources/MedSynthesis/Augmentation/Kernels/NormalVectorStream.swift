#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
import MedCore

/// Standard normal variates eight at a time, for the noise transforms: eight xoshiro128** generators side by
/// side (one per SIMD lane) feed a 256-layer Marsaglia–Tsang ziggurat.
///
/// Per lane, one 32-bit word w gives the layer L = w & 255 and the signed 24-bit value h = w >> 8 (disjoint bits,
/// so the value does not depend on the layer). When |h| < k[L] — 99 % of draws — the variate is h·w[L]; that
/// test, the gathers of k and w and the product run on all eight lanes at once. A lane that fails the test
/// (a wedge or the tail) finishes the standard ziggurat with draws from `fallback`, a scalar `NoiseStream`;
/// failed lanes are handled in lane order, so the output is a fixed function of the seed.
///
/// `NormalVectorStreamReference` computes the same values one lane at a time (the test oracle). The vector code
/// avoids two lowerings that are slow with the baseline x86-64 target (SSE2): rotations are written with `&+`,
/// since LLVM turns `(x << 7) | (x >> 25)` on vectors into eight scalar `rol`s, and integer-to-float
/// conversion is done only on values below 2²⁴ (exact).
struct NormalVectorStream {
    typealias Words = SIMD8<UInt32>
    private var s0: Words, s1: Words, s2: Words, s3: Words
    /// The stream that finishes the rare lanes that leave the fast path.
    private(set) var fallback: NoiseStream
    private let tables: VectorZiggurat

    /// Seeds the eight lanes from 16 outputs of `generator` and the fallback from `generator.split(1)`.
    init(seededBy generator: SeededGenerator) {
        let (lanes, fallbackSeed) = NormalVectorStream.seeds(generator)
        s0 = Words(lanes[0..<8]); s1 = Words(lanes[8..<16]); s2 = Words(lanes[16..<24]); s3 = Words(lanes[24..<32])
        fallback = NoiseStream(seededBy: fallbackSeed)
        tables = VectorZiggurat.shared
    }

    /// The 32 state words (s0 of lanes 0…7, then s1, s2, s3; no lane all zero) and the fallback's generator.
    static func seeds(_ generator: SeededGenerator) -> ([UInt32], SeededGenerator) {
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
        return (words, g.split(1))
    }

    /// The next word of every lane (xoshiro128**: rotl(s1·5, 7)·9).
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

    /// Eight standard normal variates.
    @inline(__always)
    mutating func next() -> SIMD8<Float> {
        let w = nextWords()
        let value = unsafeBitCast(w, to: SIMD8<Int32>.self) &>> 8
        // Byte offsets of each lane's (k, w) pair, read back as scalars to address the table.
        var offsets = (w & 255) &<< 3
        let (k, width) = withUnsafeBytes(of: &offsets) { o -> (SIMD8<Int32>, SIMD8<Float>) in
            let table = UnsafeRawPointer(tables.pairs)
            @inline(__always) func pair(_ q: Int) -> SIMD2<UInt32> {
                table.load(fromByteOffset: Int(o.load(fromByteOffset: 4 * q, as: UInt32.self)), as: SIMD2<UInt32>.self)
            }
            let a = SIMD4(lowHalf: pair(0), highHalf: pair(1)), b = SIMD4(lowHalf: pair(2), highHalf: pair(3))
            let c = SIMD4(lowHalf: pair(4), highHalf: pair(5)), d = SIMD4(lowHalf: pair(6), highHalf: pair(7))
            let k = SIMD8<UInt32>(a[0], a[2], b[0], b[2], c[0], c[2], d[0], d[2])
            let width = SIMD8<UInt32>(a[1], a[3], b[1], b[3], c[1], c[3], d[1], d[3])
            return (unsafeBitCast(k, to: SIMD8<Int32>.self), unsafeBitCast(width, to: SIMD8<Float>.self))
        }
        let sign = value &>> 31
        let accept = (value ^ sign) &- sign .< k   // |value| ≤ 2²³, no overflow
        var z = SIMD8<Float>(value) * width
        if !all(accept) {
            for q in 0..<8 where !accept[q] { z[q] = tables.slowPath(value: value[q], layer: Int(w[q] & 255), using: &fallback) }
        }
        return z
    }
}

/// `NormalVectorStream` one lane at a time with scalar arithmetic: the reference its vector code must equal bit
/// for bit.
struct NormalVectorStreamReference {
    private var state: [[UInt32]]   // state[lane] = [s0, s1, s2, s3]
    private var fallback: NoiseStream

    init(seededBy generator: SeededGenerator) {
        let (words, fallbackSeed) = NormalVectorStream.seeds(generator)
        state = (0..<8).map { lane in [words[lane], words[lane + 8], words[lane + 16], words[lane + 24]] }
        fallback = NoiseStream(seededBy: fallbackSeed)
    }

    mutating func next() -> [Float] {
        let tables = VectorZiggurat.shared
        var words = [UInt32](repeating: 0, count: 8)
        for lane in 0..<8 {
            var s = state[lane]
            let m = s[1] &* 5
            words[lane] = ((m << 7) | (m >> 25)) &* 9
            let t = s[1] << 9
            s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
            s[3] = (s[3] << 11) | (s[3] >> 21)
            state[lane] = s
        }
        // Fast lanes first, then the failed ones in lane order (as the vector code does).
        var out = [Float](repeating: 0, count: 8)
        var failed: [Int] = []
        for lane in 0..<8 {
            let value = Int32(bitPattern: words[lane]) >> 8, layer = Int(words[lane] & 255)
            if value.magnitude < UInt32(tables.k[layer]) {
                out[lane] = Float(value) * tables.w[layer]
            } else {
                failed.append(lane)
            }
        }
        for lane in failed {
            out[lane] = tables.slowPath(value: Int32(bitPattern: words[lane]) >> 8, layer: Int(words[lane] & 255), using: &fallback)
        }
        return out
    }
}

/// Ziggurat tables for 256 layers of equal area v under the normal density, with 24-bit signed values
/// (Marsaglia & Tsang 2000, `zigset` with 256 boxes and m1 = 2²³): thresholds k, widths w, densities f.
final class VectorZiggurat: @unchecked Sendable {
    /// The start of the tail, r.
    static let r = 3.6541528853610088
    /// The area of each layer, v.
    static let v = 4.928673233990e-3

    /// The tables, computed once.
    static let shared = VectorZiggurat()

    /// Per layer the pair (k, w's bits), so that one 64-bit load per lane fetches both.
    let pairs: UnsafeMutablePointer<SIMD2<UInt32>>
    let k: [Int32]
    let w: [Float]
    let f: [Double]

    private init() {
        let m1 = 8_388_608.0   // 2²³: |value| ≤ m1
        var k = [Int32](repeating: 0, count: 256), w = [Float](repeating: 0, count: 256)
        var f = [Double](repeating: 0, count: 256)
        var dn = VectorZiggurat.r, tn = dn
        let q = VectorZiggurat.v / exp(-0.5 * dn * dn)
        k[0] = Int32(dn / q * m1)
        k[1] = 0
        w[0] = Float(q / m1)
        w[255] = Float(dn / m1)
        f[0] = 1
        f[255] = exp(-0.5 * dn * dn)
        for i in stride(from: 254, through: 1, by: -1) {
            dn = (-2 * log(VectorZiggurat.v / dn + exp(-0.5 * dn * dn))).squareRoot()
            k[i + 1] = Int32(dn / tn * m1)
            tn = dn
            f[i] = exp(-0.5 * dn * dn)
            w[i] = Float(dn / m1)
        }
        pairs = .allocate(capacity: 256)
        for layer in 0..<256 { pairs[layer] = SIMD2(UInt32(bitPattern: k[layer]), w[layer].bitPattern) }
        self.k = k
        self.w = w
        self.f = f
    }

    deinit { pairs.deallocate() }

    /// Finishes a draw that failed the fast test: the wedge test of its layer or the tail (Marsaglia's method
    /// for |x| > r), retrying with new words from `fallback` (24-bit value and layer from its high 32 bits).
    func slowPath(value initialValue: Int32, layer initialLayer: Int, using fallback: inout NoiseStream) -> Float {
        var value = initialValue, layer = initialLayer
        while true {
            let x = Double(value) * Double(w[layer])
            if layer == 0 {
                var xt = 0.0, yt = 0.0
                repeat {
                    xt = -log(fallback.nextOpenUnitDouble()) / VectorZiggurat.r
                    yt = -log(fallback.nextOpenUnitDouble())
                } while yt + yt < xt * xt
                return Float(value > 0 ? VectorZiggurat.r + xt : -(VectorZiggurat.r + xt))
            }
            if f[layer] + fallback.nextOpenUnitDouble() * (f[layer - 1] - f[layer]) < exp(-0.5 * x * x) {
                return Float(x)
            }
            let word = UInt32(truncatingIfNeeded: fallback.next() >> 32)
            layer = Int(word & 255)
            value = Int32(bitPattern: word) >> 8
            if value.magnitude < UInt32(k[layer]) { return Float(value) * w[layer] }
        }
    }
}
