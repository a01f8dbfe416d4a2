import Testing
import Foundation
@testable import MedSynthesis
@testable import MedIO

func measure(_ label: String, _ body: () throws -> Void) rethrows {
    let c0 = clock(); let t0 = Date()
    try body()
    print(label, "wall", Date().timeIntervalSince(t0), "cpu", Double(clock() - c0) / Double(CLOCKS_PER_SEC))
}

@Test func phantomProfile() throws {
    let s = HeadPhantomSettings()
    let p = try HeadPhantom(settings: s)
    let params = p.drawParameters(seed: 1, index: 0)
    var model: HeadAnatomyModel!
    measure("model") { model = p.anatomyModel(for: params) }
    try measure("render") { _ = try p.render(params, model: model) }
    try measure("makeCase") { _ = try p.makeCase(seed: 1, index: 0) }
    var s2 = s; s2.pet.psfFWHMMM = 0; s2.pet.countsPerSUV = 0
    let p2 = try HeadPhantom(settings: s2)
    try measure("render no PET") { _ = try p2.render(params, model: model) }
    let shape = s.shape
    measure("fractions 1 thread") {
        var acc: Float = 0
        for k in 0..<shape.depth { for j in 0..<shape.height {
            let world = SIMD3<Float>(Float(s.affine[0,3]), Float(s.affine[1,3]) + Float(j) * 0.9, Float(s.affine[2,3]) + Float(k) * 1.6)
            let start = model.headPoint(world: world)
            let step = model.headVector(world: SIMD3(0.9, 0, 0))
            for i in 0..<shape.width { acc += model.fractions(head: start + Float(i) * step)[7] }
        } }
        print(acc)
    }
    measure("8 normals/voxel 1 thread") {
        var ns = NoiseStream(seededBy: .init(seed: 1))
        var z: Float = 0
        for _ in 0..<(shape.voxelCount * 8) { z += ns.nextNormal() }
        print(z)
    }
    var pet = [Float](repeating: 1, count: shape.voxelCount)
    let sig = GaussianBlur3D.sigmaVoxels(fwhmMM: 5, spacingMM: s.spacingMM)
    let ks = (x: GaussianBlur3D.kernel(sigmaVoxels: sig.x, radiusSigmas: 3.5), y: GaussianBlur3D.kernel(sigmaVoxels: sig.y, radiusSigmas: 3.5), z: GaussianBlur3D.kernel(sigmaVoxels: sig.z, radiusSigmas: 3.5))
    measure("blur") { GaussianBlur3D.blurSeparable(&pet, shape: shape, kernels: ks) }
}
