/// Vectorised base-2 logarithm, exponential and square root for eight Floats at a time, for the per-voxel powers
/// of `gamma`, the radii of the normal sampler (both in `VoxelKernels`) and the exponentials of `biasField`
/// (glibc's `logf`/`expf` are scalar calls, ≈ 2× slower per voxel here).
///
/// Only lane-wise arithmetic and integer bit operations are used — no comparisons or `SIMDMask` selects, which
/// Swift lowers to slow lane shuffles on SSE2 — and a fixed operation order, so the results are the same bits
/// on every machine and thread count. Accuracy against Double references (tested): relative error below 1e-6.
/// - `log2(x)`, x > 0 normal: x = m·2ᵉ with m in [√½, √2) (e from the bits of x − √½), ln m = 2·atanh(f) with
///   f = (m − 1)/(m + 1), |f| ≤ 0.172, by its odd series to f⁹ (next term < 2e-9 relative).
/// - `exp2(y)`: y = n + f with n = round(y) (the 1.5·2²³ trick), |f| ≤ ½; 2ᶠ = e^(f·ln 2) by Taylor to degree 7
///   (remainder < 6e-9); 2ⁿ from exponent bits, n clamped to −127…128 so that y < −126.5 gives 0 and y ≥ 127.5
///   gives +∞. Needs |y| < 2²².
public enum FastMath {
    /// Eight Floats.
    public typealias Vector = SIMD8<Float>
    /// Eight 32-bit integers (bit patterns of a `Vector`).
    public typealias Bits = SIMD8<Int32>

    /// 1.5·2²³: adding and subtracting it rounds a Float below 2²² to an integer, whose value then sits in the
    /// low mantissa bits of the sum.
    @usableFromInline static let roundingMagic: Float = 12_582_912
    @usableFromInline static let roundingMagicBits: Int32 = 0x4B40_0000

    @inlinable @inline(__always) public static func bits(_ v: Vector) -> Bits { unsafeBitCast(v, to: Bits.self) }
    @inlinable @inline(__always) public static func float(_ v: Bits) -> Vector { unsafeBitCast(v, to: Vector.self) }

    /// Integers clamped to lo…hi with shifts and masks (d >> 31 is −1 exactly when d < 0).
    @inlinable @inline(__always)
    public static func clamp(_ v: Bits, _ lo: Int32, _ hi: Int32) -> Bits {
        let below = v &- Bits(repeating: lo)
        let raised = v &- (below & (below &>> 31))
        let above = raised &- Bits(repeating: hi)
        return raised &- (above & ~(above &>> 31))
    }

    /// log₂ of every lane; lanes ≤ 0, subnormal or non-finite give meaningless values (callers mask them).
    @inlinable @inline(__always)
    public static func log2(_ x: Vector) -> Vector {
        let b = bits(x)
        // The exponent that brings the mantissa into [√½, √2): the bits of x minus those of √½ (0x3F3504F3)
        // borrow from the exponent field exactly when the mantissa is below √2.
        let e = (b &- 0x3F35_04F3) &>> 23
        let mantissa = float(b &- (e &<< 23))
        let exponent = float(e &+ roundingMagicBits) - Vector(repeating: roundingMagic)
        let f = (mantissa - 1) / (mantissa + 1)
        let f2 = f * f
        // ln m = 2f(1 + f²/3 + f⁴/5 + f⁶/7 + f⁸/9), by Horner.
        var series: Vector = f2 * Float(1.0 / 9)
        series = f2 * (series + Float(1.0 / 7))
        series = f2 * (series + Float(1.0 / 5))
        series = f2 * (series + Float(1.0 / 3))
        series = series + 1
        let lnMantissa: Vector = 2 * f * series
        return exponent + lnMantissa * Float(1.442_695_04)   // 1 / ln 2
    }

    /// 2^y for every lane.
    @inlinable @inline(__always)
    public static func exp2(_ y: Vector) -> Vector {
        let shifted = y + Vector(repeating: roundingMagic)
        let n = shifted - Vector(repeating: roundingMagic)
        let whole = clamp(bits(shifted) &- roundingMagicBits, -127, 128)
        let t: Vector = (y - n) * Float(0.693_147_18)   // f·ln 2, |t| ≤ 0.347
        // Σ_{k ≤ 7} tᵏ/k!, by Horner.
        var p = Vector(repeating: Float(1.0 / 5040))
        p = p * t + Float(1.0 / 720)
        p = p * t + Float(1.0 / 120)
        p = p * t + Float(1.0 / 24)
        p = p * t + Float(1.0 / 6)
        p = p * t + Float(0.5)
        p = p * t + Float(1)
        p = p * t + Float(1)
        // 2ⁿ: exponent field n + 127; n = −127 gives the bits of +0, n = 128 those of +∞.
        return p * float((whole &+ 127) &<< 23)
    }

    /// √x for every lane x ≥ 0 (+0 gives +0): x·y with y ≈ 1/√x from the bit-level first guess
    /// (0x5F3759DF − bits/2, within 3.5 %) and three Newton steps y ← y(3/2 − x/2·y²); relative error below 1e-6
    /// (tested). `SIMD8.squareRoot()` becomes eight scalar `sqrtf` calls wherever LLVM cannot prove the argument
    /// non-negative (their errno path blocks vectorising), which also splits the vector code around it into lanes.
    @inlinable @inline(__always)
    public static func squareRoot(_ x: Vector) -> Vector {
        let half = x * 0.5
        var y = float(0x5F37_59DF &- (bits(x) &>> 1))
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        return x * y
    }

    /// e^y for every lane: 2^(y·log₂ e).
    @inlinable @inline(__always)
    public static func exp(_ y: Vector) -> Vector { exp2(y * Float(1.442_695_04)) }

    /// `v` where `keep` is non-zero (as bits), +0 elsewhere: `keep` is 0 or −1 per lane.
    @inlinable @inline(__always)
    public static func masked(_ v: Vector, keep: Bits) -> Vector { float(bits(v) & keep) }
}
