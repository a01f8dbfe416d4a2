import COpenBLAS
import Foundation

/// Which OpenBLAS kernels run the matrix products, and the choice MedSynth makes when OpenBLAS misjudges the CPU.
///
/// OpenBLAS picks its kernel family ("core") once, when the library loads, from the CPU model; the environment
/// variable `OPENBLAS_CORETYPE` overrides the pick. The project's machines (AMD EPYC with AVX-512) set
/// `OPENBLAS_CORETYPE=Haswell` in their environment, so OpenBLAS runs its AVX2 kernels there; its "SkylakeX"
/// AVX-512 kernels do convolution-shaped products about 1.8× faster (measured: 256×4096×2304 sgemm, 2 threads,
/// 94 vs 177 GFLOP/s). Because the pick happens before any Swift code runs, the `medsynth` executable applies
/// `preferredCoreType` by restarting itself once with the variable set (BLASRelaunch in the CLI, which also
/// honours `MEDSYNTH_BLAS_CORETYPE=keep`).
public enum BLASRuntime {
    /// The kernel family OpenBLAS is using ("Haswell", "SkylakeX", …).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The threads OpenBLAS uses for one product (process-wide). Setting 1 makes every product run on the calling
    /// thread, for callers that run several single-threaded jobs side by side (`medsynth validate`).
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The CPU feature flags of the first processor in /proc/cpuinfo (empty where it cannot be read).
    public static func cpuFlags(cpuinfoPath: String = "/proc/cpuinfo") -> Set<String> {
        // /proc files report size 0, so read them as a stream rather than with String(contentsOfFile:).
        guard let handle = FileHandle(forReadingAtPath: cpuinfoPath) else { return [] }
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// The AVX-512 subsets OpenBLAS's SkylakeX kernels use.
    static let skylakeXFlags: Set<String> = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    /// The `OPENBLAS_CORETYPE` to ask for, or nil to keep OpenBLAS's own pick: "SKYLAKEX" when OpenBLAS chose its
    /// AVX2 kernels ("Haswell" or "Zen") on a CPU that has every AVX-512 subset those kernels need.
    public static func preferredCoreType(detectedCore: String, cpuFlags: Set<String>) -> String? {
        let avx2Cores: Set<String> = ["haswell", "zen"]
        guard avx2Cores.contains(detectedCore.lowercased()), skylakeXFlags.isSubset(of: cpuFlags) else { return nil }
        return "SKYLAKEX"
    }
}
