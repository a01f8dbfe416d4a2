import Foundation
import Testing
import MedCore
import MedIO

/// The Felzenszwalb–Huttenlocher EDT against brute force over all feature voxels.
@Suite struct DistanceTransformTests {
    func bruteForce(_ f: [Bool], _ s: VolumeShape, _ sp: SIMD3<Double>) -> [Double] {
        var feats: [(Int, Int, Int)] = []
        for k in 0..<s.depth { for j in 0..<s.height { for i in 0..<s.width where f[(k * s.height + j) * s.width + i] { feats.append((k, j, i)) } } }
        var out = [Double](repeating: .infinity, count: f.count)
        for k in 0..<s.depth { for j in 0..<s.height { for i in 0..<s.width {
            var best = Double.infinity
            for (fk, fj, fi) in feats {
                let dz = Double(k - fk) * sp.z, dy = Double(j - fj) * sp.y, dx = Double(i - fi) * sp.x
                best = min(best, dx * dx + dy * dy + dz * dz)
            }
            out[(k * s.height + j) * s.width + i] = best
        } } }
        return out
    }

    @Test(arguments: [(VolumeShape(depth: 9, height: 11, width: 13), 0.03), (VolumeShape(depth: 1, height: 17, width: 23), 0.05),
                      (VolumeShape(depth: 7, height: 6, width: 19), 0.002)])
    func matchesBruteForce(shape: VolumeShape, density: Double) {
        var g = SeededGenerator(seed: 7)
        let f = (0..<shape.voxelCount).map { _ in g.nextUnitDouble() < density }
        for sp in [SIMD3<Double>(1, 1, 1), SIMD3(0.7, 1.3, 2.9)] {
            let fast = DistanceTransform.squaredDistances(to: f, shape: shape, spacingMM: sp)
            let slow = bruteForce(f, shape, sp)
            for n in 0..<f.count {
                #expect(fast[n] == slow[n] || abs(fast[n] - slow[n]) < 1e-9 * max(1, slow[n]), "voxel \(n)")
            }
        }
    }

    @Test func noFeaturesGivesInfinity() {
        let s = VolumeShape(depth: 3, height: 4, width: 5)
        let d = DistanceTransform.squaredDistances(to: [Bool](repeating: false, count: s.voxelCount), shape: s, spacingMM: SIMD3(1, 1, 1))
        #expect(d.allSatisfy { $0 == .infinity })
    }
}
