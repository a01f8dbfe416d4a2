// medsynth-hdf5-probe FILE: opens FILE with libhdf5 and walks every object, so that a crash inside libhdf5 on a
// hostile file happens here and not in the command that asked (MedIO's `HDF5Probe`). Exit status 0: the file
// opened and walked; 2: libhdf5 reported an error (printed); 64: wrong usage; killed by a signal: libhdf5 crashed.
import Foundation
import MedIO
#if canImport(Glibc)
import Glibc
#endif

// The parent closes every descriptor above stderr at the spawn (HDF5Probe), so none of its files is held here.
let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: medsynth-hdf5-probe FILE\n".utf8))
    exit(64)
}
if ProcessInfo.processInfo.environment[HDF5Probe.crashInjectionVariable] == "1" {
    kill(getpid(), SIGSEGV)
}
do {
    try HDF5Probe.runInProcess(arguments[1])
    exit(0)
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}
