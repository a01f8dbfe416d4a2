#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The x86-64 micro-architecture levels (the psABI's x86-64, x86-64-v3 and x86-64-v4) that MedSynth's voxel
/// kernels are compiled for. The package builds the kernels once per level (`MedKernels`, `MedKernelsV3`,
/// `MedKernelsV4`, the same sources) and picks the highest level this CPU supports at run time, so one binary
/// runs everywhere and uses AVX2 or AVX-512 where present (as PyTorch picks its DEFAULT/AVX2/AVX512 kernels).
/// Every level computes the same bits (no fused multiply-adds, the same operation order; tested).
public enum SIMDLevel: String, Sendable, Comparable, CaseIterable, Codable {
    /// SSE2: every x86-64 CPU (and the only level on other architectures).
    case baseline = "x86-64"
    /// AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE (Haswell, Zen 1 and later).
    case v3 = "x86-64-v3"
    /// v3 plus AVX-512 F, BW, CD, DQ, VL (Skylake-SP, Ice Lake, Zen 4 and later).
    case v4 = "x86-64-v4"

    public static func < (a: SIMDLevel, b: SIMDLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The `/proc/cpuinfo` flags each level needs beyond the previous one (x86-64-v2's are included in v3's).
    public static func requiredFlags(_ level: SIMDLevel) -> [String] {
        switch level {
        case .baseline: return []
        case .v3: return ["cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3",
                          "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"]
        case .v4: return ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]
        }
    }

    /// The highest level whose flags (and all lower levels' flags) are in `flags`. Linux lists an AVX flag only
    /// when the kernel saves the registers it needs, so the flags also answer whether the OS supports them.
    public static func highest(supportedBy flags: Set<String>) -> SIMDLevel {
        var level = SIMDLevel.baseline
        for next in [SIMDLevel.v3, .v4] {
            guard requiredFlags(next).allSatisfy(flags.contains) else { break }
            level = next
        }
        return level
    }

    /// The flags of the first processor in `/proc/cpuinfo` (empty when it cannot be read).
    static func cpuFlags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }

    /// The highest level this machine supports (`baseline` off x86-64).
    public static let supported: SIMDLevel = {
        #if arch(x86_64) && os(Linux)
        return highest(supportedBy: cpuFlags())
        #else
        return .baseline
        #endif
    }()

    /// The level the kernels use: `supported`, or a lower one asked for with `MEDSYNTH_SIMD` (`x86-64`,
    /// `x86-64-v3`, `x86-64-v4`; a level above `supported` gives `supported`). An unknown value is reported once
    /// on standard error and ignored.
    public static let active: SIMDLevel = resolve(request: ProcessInfo.processInfo.environment["MEDSYNTH_SIMD"],
                                                  supported: supported) { message in
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// `active`'s rule: the requested level capped at `supported`; nil or unknown gives `supported` (an unknown
    /// value is passed to `warn`).
    public static func resolve(request: String?, supported: SIMDLevel, warn: (String) -> Void) -> SIMDLevel {
        guard let request, !request.isEmpty else { return supported }
        guard let level = SIMDLevel(rawValue: request) else {
            warn("medsynth: MEDSYNTH_SIMD='\(request)' is not one of \(allCases.map(\.rawValue).joined(separator: ", ")); using \(supported.rawValue)")
            return supported
        }
        return min(level, supported)
    }
}
