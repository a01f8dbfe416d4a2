import Foundation
import MedTensor

/// Picks OpenBLAS's kernel family for this CPU by restarting the process once with `OPENBLAS_CORETYPE` set (see
/// `BLASRuntime`: OpenBLAS fixes its pick when it loads, before any Swift code runs).
///
/// `MEDSYNTH_BLAS_CORETYPE` decides: unset, MedSynth asks for the AVX-512 kernels when OpenBLAS runs AVX2 ones on
/// a CPU that has AVX-512 (this replaces an `OPENBLAS_CORETYPE=Haswell` set in the environment, and says so on
/// stderr under `MEDSYNTH_VERBOSE_BLAS=1`); `keep` leaves OpenBLAS's pick (and `OPENBLAS_CORETYPE`) alone; any
/// other value is passed to OpenBLAS as the core type. When the restart fails the process goes on as it is.
enum BLASRelaunch {
    static func ifNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["MEDSYNTH_BLAS_RELAUNCHED"] == nil else { return }
        let requested = environment["MEDSYNTH_BLAS_CORETYPE"]
        guard requested != "keep" else { return }
        let current = BLASRuntime.coreName
        guard let target = requested ?? BLASRuntime.preferredCoreType(detectedCore: current,
                                                                         cpuFlags: BLASRuntime.cpuFlags()),
              target.lowercased() != current.lowercased() else { return }
        if environment["MEDSYNTH_VERBOSE_BLAS"] != nil {
            FileHandle.standardError.write(Data("medsynth: OpenBLAS core \(current) -> \(target)\n".utf8))
        }
        setenv("OPENBLAS_CORETYPE", target, 1)
        setenv("MEDSYNTH_BLAS_RELAUNCHED", "1", 1)
        let argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", argv)
        // Only reached when exec failed: carry on in this process with OpenBLAS's own pick.
        for p in argv { free(p) }
    }
}
