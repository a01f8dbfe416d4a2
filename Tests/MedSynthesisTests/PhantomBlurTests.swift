import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

@Suite struct PhantomBlurTests {
    @Test func sigmaFromFWHM() {
        #expect(Approx.isClose(GaussianBlur3D.sigma(fromFWHM: 2.354820045), 1, rtol: 1e-8))
        let s = GaussianBlur3D.sigmaVoxels(fwhmMM: 6, spacingMM: SIMD3(1, 1.5, 3))
        #expect(Approx.isClose(s.x, 6 / 2.354820045, rtol: 1e-8))
        #expect(Approx.isClose(s.y, s.x / 1.5, rtol: 1e-12) && Approx.isClose(s.z, s.x / 3, rtol: 1e-12))
    }

    @Test func kernelIsNormalisedAndSymmetric() {
        let k = GaussianBlur3D.kernel(sigmaVoxels: 2.1, radiusSigmas: 3.5)
        #expect(k.count == 2 * 8 + 1)
        #expect(abs(k.reduce(0, +) - 1) < 1e-6)
        for t in 0..<k.count { #expect(k[t] == k[k.count - 1 - t]) }
        #expect(GaussianBlur3D.kernel(sigmaVoxels: 0, radiusSigmas: 3) == [1])
    }

    /// The separable blur equals the direct 3D convolution with the product kernel (zero padding), on a random
    /// volume with anisotropic kernels and borders inside the kernel reach.
    @Test func separableBlurMatchesDirectConvolution() {
        let shape = VolumeShape(depth: 9, height: 13, width: 17)
        var g = SeededGenerator(seed: 11)
        let data = (0..<shape.voxelCount).map { _ in Float(g.uniform(-1, 2)) }
        let kernels = (x: GaussianBlur3D.kernel(sigmaVoxels: 1.7, radiusSigmas: 3),
                       y: GaussianBlur3D.kernel(sigmaVoxels: 1.1, radiusSigmas: 3),
                       z: GaussianBlur3D.kernel(sigmaVoxels: 0.8, radiusSigmas: 3))
        var fast = data
        GaussianBlur3D.blurSeparable(&fast, shape: shape, kernels: kernels)
        let reference = GaussianBlur3D.blurReference(data, shape: shape, kernels: kernels)
        #expect(Approx.maxAbsDifference(fast, reference) < 2e-6)
    }

    /// A point source blurred with FWHM f has, along each axis, the second moment σ² = (f / 2.3548)² in mm².
    @Test func pointSpreadHasTheRequestedWidth() {
        let shape = VolumeShape(depth: 31, height: 41, width: 51)
        let spacing = SIMD3<Double>(0.8, 1.2, 2.0)
        let fwhm = 6.0
        var v = [Float](repeating: 0, count: shape.voxelCount)
        let (ci, cj, ck) = (25, 20, 15)
        v[(ck * shape.height + cj) * shape.width + ci] = 1
        let sigma = GaussianBlur3D.sigmaVoxels(fwhmMM: fwhm, spacingMM: spacing)
        let kernels = (x: GaussianBlur3D.kernel(sigmaVoxels: sigma.x, radiusSigmas: 4),
                       y: GaussianBlur3D.kernel(sigmaVoxels: sigma.y, radiusSigmas: 4),
                       z: GaussianBlur3D.kernel(sigmaVoxels: sigma.z, radiusSigmas: 4))
        GaussianBlur3D.blurSeparable(&v, shape: shape, kernels: kernels)
        var total = 0.0, m2 = SIMD3<Double>.zero
        for k in 0..<shape.depth { for j in 0..<shape.height { for i in 0..<shape.width {
            let w = Double(v[(k * shape.height + j) * shape.width + i])
            let d = SIMD3(Double(i - ci), Double(j - cj), Double(k - ck)) * spacing
            total += w
            m2 += w * d * d
        } } }
        #expect(abs(total - 1) < 1e-5)
        let expected = GaussianBlur3D.sigma(fromFWHM: fwhm)
        for axis in 0..<3 {
            let measured = (m2[axis] / total).squareRoot()
            // A sampled Gaussian's variance exceeds σ² by < 1/12 voxel² (σ ≥ 1.27 voxels here).
            #expect(abs(measured - expected) / expected < 0.03, "axis \(axis): σ \(measured) mm vs \(expected) mm")
        }
        // Half maximum along x sits at FWHM/2 from the centre (linear interpolation between samples).
        let row = (0..<shape.width).map { Double(v[(ck * shape.height + cj) * shape.width + $0]) }
        let peak = row[ci]
        var n = ci
        while row[n + 1] > peak / 2 { n += 1 }
        let halfWidth = (Double(n - ci) + (row[n] - peak / 2) / (row[n] - row[n + 1])) * spacing.x
        #expect(abs(2 * halfWidth - fwhm) / fwhm < 0.05, "measured FWHM \(2 * halfWidth) mm")
    }

    /// The rendered PET (noise off) is the unblurred PET convolved with the PSF of the case's FWHM: the configured
    /// 7 mm times the case's drawn factor (per-case acquisition variation).
    @Test func renderedPETAppliesTheConfiguredPSF() throws {
        var sharp = PhantomFixture.smallSettings
        sharp.pet.countsPerSUV = 0
        sharp.pet.psfFWHMMM = 0
        var blurred = sharp
        blurred.pet.psfFWHMMM = 7
        let parameters = try HeadPhantom(settings: blurred).drawParameters(seed: 3, index: 0)
        let fwhm = try #require(parameters.acquisition).petPSFFWHMMM
        #expect(fwhm != 7 && fwhm >= 7 * 0.8 && fwhm <= 7 * 1.2)
        var unblurred = parameters
        unblurred.acquisition?.petPSFFWHMMM = 0
        let a = try HeadPhantom(settings: sharp).render(unblurred)
        let b = try HeadPhantom(settings: blurred).render(parameters)
        let sigma = GaussianBlur3D.sigmaVoxels(fwhmMM: fwhm, spacingMM: blurred.spacingMM)
        let r = blurred.pet.kernelRadiusSigmas
        var expected = a.pet.voxels
        GaussianBlur3D.blurSeparable(&expected, shape: blurred.shape,
                                     kernels: (x: GaussianBlur3D.kernel(sigmaVoxels: sigma.x, radiusSigmas: r),
                                               y: GaussianBlur3D.kernel(sigmaVoxels: sigma.y, radiusSigmas: r),
                                               z: GaussianBlur3D.kernel(sigmaVoxels: sigma.z, radiusSigmas: r)))
        #expect(Approx.maxAbsDifference(expected, b.pet.voxels) < 1e-4)
        // Blurring moves no uptake in or out of a head that sits well inside the grid.
        let sumA = a.pet.voxels.reduce(0.0) { $0 + Double($1) }, sumB = b.pet.voxels.reduce(0.0) { $0 + Double($1) }
        #expect(abs(sumA - sumB) / sumA < 1e-4)
        #expect(a.ct == b.ct && a.labels == b.labels)
    }
}
