import MedCore

/// A fast stream of uniform and standard normal variates for per-voxel noise.
///
/// The generator is xoshiro256** (the same algorithm as `SeededGenerator`) with its state in four scalar fields,
/// seeded with four words from a `SeededGenerator` stream, so all noise still flows from the case seed; it only
/// avoids the array-backed state in the inner loops. Normals come from the ziggurat method (Marsaglia & Tsang
/// 2000, 128 layers) with the layer index and the value taken from disjoint bits of one 64-bit draw
/// (Doornik 2005's fix for their correlation); ≈ 99 % of draws cost one 64-bit step and a multiply.
struct NoiseStream {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    // The shared tables, held as plain pointers so the hot path touches no global or reference count.
    private let k: UnsafePointer<UInt32>, w: UnsafePointer<Float>, f: UnsafePointer<Double>

    /// Seeds the stream from four outputs of `generator`.
    init(seededBy generator: SeededGenerator) {
        var g = generator
        let tables = ZigguratTables.shared
        k = UnsafePointer(tables.k); w = UnsafePointer(tables.w); f = UnsafePointer(tables.f)
        s0 = g.next(); s1 = g.next(); s2 = g.next(); s3 = g.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits (xoshiro256**).
    @inline(__always)
    mutating func next() -> UInt64 {
        let result = NoiseStream.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = NoiseStream.rotl(s3, 45)
        return result
    }

    /// A uniform Double in the open interval (0, 1).
    @inline(__always)
    mutating func nextOpenUnitDouble() -> Double { (Double(next() >> 11) + 0.5) * 0x1p-53 }

    /// A standard normal variate (ziggurat).
    @inline(__always)
    mutating func nextNormal() -> Float {
        let bits = next()
        let layer = Int(bits & 127)
        let hz = Int32(truncatingIfNeeded: bits >> 32)
        if hz.magnitude < k[layer] { return Float(hz) * w[layer] }
        return normalSlowPath(hz: hz, layer: layer)
    }

    /// The ziggurat's rare cases: the wedges of layers 1…127 and the tail beyond r of layer 0.
    private mutating func normalSlowPath(hz initialHz: Int32, layer initialLayer: Int) -> Float {
        var hz = initialHz, layer = initialLayer
        while true {
            let x = Double(hz) * Double(w[layer])
            if layer == 0 {
                // Marsaglia's tail method for |x| > r.
                var xt = 0.0, yt = 0.0
                repeat {
                    xt = -log(nextOpenUnitDouble()) / ZigguratTables.r
                    yt = -log(nextOpenUnitDouble())
                } while yt + yt < xt * xt
                return Float(hz > 0 ? ZigguratTables.r + xt : -(ZigguratTables.r + xt))
            }
            if f[layer] + nextOpenUnitDouble() * (f[layer - 1] - f[layer]) < exp(-0.5 * x * x) {
                return Float(x)
            }
            let bits = next()
            layer = Int(bits & 127)
            hz = Int32(truncatingIfNeeded: bits >> 32)
            if hz.magnitude < k[layer] { return Float(hz) * w[layer] }
        }
    }
}

/// The ziggurat tables for 128 layers (Marsaglia & Tsang 2000, `zigset`): acceptance thresholds k, widths w
/// (scaled by 2⁻³¹) and densities f at the layer edges.
final class ZigguratTables: @unchecked Sendable {
    /// The start of the tail, r.
    static let r = 3.442619855899
    /// The area of each layer, v.
    static let v = 9.91256303526217e-3

    /// The tables, computed once.
    static let shared = ZigguratTables()

    let k: UnsafeMutablePointer<UInt32>
    let w: UnsafeMutablePointer<Float>
    let f: UnsafeMutablePointer<Double>

    private init() {
        k = .allocate(capacity: 128)
        w = .allocate(capacity: 128)
        f = .allocate(capacity: 128)
        let m1 = 2147483648.0
        var dn = ZigguratTables.r, tn = dn
        let q = ZigguratTables.v / exp(-0.5 * dn * dn)
        k[0] = UInt32(dn / q * m1)
        k[1] = 0
        w[0] = Float(q / m1)
        w[127] = Float(dn / m1)
        f[0] = 1
        f[127] = exp(-0.5 * dn * dn)
        for i in stride(from: 126, through: 1, by: -1) {
            dn = (-2 * log(ZigguratTables.v / dn + exp(-0.5 * dn * dn))).squareRoot()
            k[i + 1] = UInt32(dn / tn * m1)
            tn = dn
            f[i] = exp(-0.5 * dn * dn)
            w[i] = Float(dn / m1)
        }
    }

    deinit {
        k.deallocate()
        w.deallocate()
        f.deallocate()
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
