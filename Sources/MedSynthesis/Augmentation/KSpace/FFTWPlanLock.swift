import Foundation

/// FFTW's planner is not thread-safe: every plan creation and destruction in MedSynth goes through this lock.
/// Executing distinct or identical plans on new arrays (`fftwf_execute_dft_r2c`) from several threads is safe.
enum FFTWPlanLock {
    private static let lock = NSLock()

    /// Runs `body` while holding the planner lock.
    static func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
