import CFFTW
import MedCore
import MedIO

/// 2D real-to-complex FFTs of the axial slices of a volume through FFTW (single precision, FFTW_ESTIMATE so that
/// plans, and so results, are the same on every run). The spectrum of a height × width slice is the
/// half-complex array [height][width/2 + 1] of interleaved (re, im) Floats: ky runs over all rows in FFT order
/// (0, 1, …, H/2, −H/2+1, …, −1), kx over 0…W/2.
///
/// Plans are made and destroyed under `FFTWPlanLock`; executing one plan on different buffers from several
/// threads is safe, so slices run in parallel with per-worker buffers.
final class SliceFFT: @unchecked Sendable {
    /// Slice extents.
    let height: Int, width: Int
    /// Complex values per spectrum: height × (width/2 + 1).
    let spectrumCount: Int
    private let forwardPlan: fftwf_plan
    private let inversePlan: fftwf_plan

    /// Plans the forward and inverse transforms for height × width slices.
    init(height: Int, width: Int) {
        self.height = height
        self.width = width
        spectrumCount = height * (width / 2 + 1)
        (forwardPlan, inversePlan) = FFTWPlanLock.withLock {
            // Planning with FFTW_ESTIMATE never touches the arrays' contents; fftwf_malloc gives the alignment
            // that every later execution's buffers (also from fftwf_malloc) share.
            let real = fftwf_alloc_real(height * width)!
            let spec = fftwf_alloc_complex(height * (width / 2 + 1))!
            defer { fftwf_free(real); fftwf_free(spec) }
            let flags = UInt32(FFTW_ESTIMATE)
            let f = fftwf_plan_dft_r2c_2d(Int32(height), Int32(width), real, spec, flags)!
            let i = fftwf_plan_dft_c2r_2d(Int32(height), Int32(width), spec, real, flags)!
            return (f, i)
        }
    }

    deinit {
        FFTWPlanLock.withLock {
            fftwf_destroy_plan(forwardPlan)
            fftwf_destroy_plan(inversePlan)
        }
    }

    /// Per-worker buffers: a real slice and spectra, all from fftwf_malloc.
    final class Buffers {
        /// height × width reals.
        let real: UnsafeMutablePointer<Float>
        /// `spectra` spectra of `spectrumCount` complex values each, interleaved (re, im).
        let spectra: [UnsafeMutablePointer<Float>]

        init(fft: SliceFFT, spectra count: Int) {
            real = fftwf_alloc_real(fft.height * fft.width)!
            spectra = (0..<count).map { _ in
                UnsafeMutableRawPointer(fftwf_alloc_complex(fft.spectrumCount)!).assumingMemoryBound(to: Float.self)
            }
        }

        deinit {
            fftwf_free(real)
            for s in spectra { fftwf_free(s) }
        }
    }

    /// spectrum = FFT(real): unnormalised forward transform of one slice.
    func forward(_ real: UnsafeMutablePointer<Float>, _ spectrum: UnsafeMutablePointer<Float>) {
        spectrum.withMemoryRebound(to: fftwf_complex.self, capacity: spectrumCount) {
            fftwf_execute_dft_r2c(forwardPlan, real, $0)
        }
    }

    /// real = IFFT(spectrum) / (height·width): the normalised inverse, so inverse(forward(x)) = x up to
    /// round-off. Destroys `spectrum` (FFTW's complex-to-real transforms overwrite their input).
    func inverse(_ spectrum: UnsafeMutablePointer<Float>, _ real: UnsafeMutablePointer<Float>) {
        spectrum.withMemoryRebound(to: fftwf_complex.self, capacity: spectrumCount) {
            fftwf_execute_dft_c2r(inversePlan, $0, real)
        }
        let scale = 1 / Float(height * width)
        for n in 0..<(height * width) { real[n] *= scale }
    }

    /// The signed frequency of FFT row `index` of `count` rows: 0, 1, …, ⌊count/2⌋, then negative.
    static func signedFrequency(_ index: Int, count: Int) -> Int { index <= count / 2 ? index : index - count }

    /// A new volume whose slice k is written by `body(k, source, destination, buffers)` (see the pointer form).
    func transformSlices(_ voxels: [Float], depth: Int, spectra: Int,
                         _ body: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Buffers) -> Void) -> [Float] {
        precondition(voxels.count == depth * height * width, "volume of \(voxels.count) voxels is not \(depth) slices of \(height)x\(width)")
        return voxels.withUnsafeBufferPointer { src in
            VoxelPointers.withNewArray(voxels: voxels.count) { dst in
                transformSlices(src.baseAddress!, dst, depth: depth, spectra: spectra, body)
            }
        }
    }

    /// Writes slice k of `dst` by `body(k, source slice, destination slice, buffers)`, parallel over slices with
    /// one set of buffers per worker. `body` must write all height × width voxels of its destination, which may
    /// be its source: it reads the source slice before it writes (the k-space transforms copy it into
    /// `buffers.real` first and write the inverse transform last).
    func transformSlices(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, depth: Int, spectra: Int,
                         _ body: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Buffers) -> Void) {
        let sliceCount = height * width
        Parallel.forEachChunk(count: depth) { slices in
            let buffers = Buffers(fft: self, spectra: spectra)
            for k in slices { body(k, src + k * sliceCount, dst + k * sliceCount, buffers) }
        }
    }
}
