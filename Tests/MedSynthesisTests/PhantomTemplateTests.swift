import Foundation
import Testing
import MedCore
import MedIO
@testable import MedSynthesis

/// The template brain (issue 23): the vendored maps, the per-case map's invertibility, atrophy and ventricles,
/// settings compatibility.
@Suite struct PhantomTemplateTests {
    static let grid = VolumeShape(depth: 48, height: 96, width: 96)

    static func settings(_ change: (inout TemplateBrainVariation) -> Void = { _ in }) -> HeadPhantomSettings {
        var s = HeadPhantomSettings().withShape(grid)
        change(&s.templateVariation)
        return s
    }

    static func labelVolumesML(_ c: HeadPhantomCase) -> [Tissue: Double] {
        let voxelML = c.labels.spacingMM.x * c.labels.spacingMM.y * c.labels.spacingMM.z / 1000
        var out: [Tissue: Double] = [:]
        for v in c.labels.voxels { if let t = Tissue(rawValue: Int(v)) { out[t, default: 0] += voxelML } }
        return out
    }

    @Test func theBundledTemplateHoldsAnAdultBrain() throws {
        let t = try BrainTemplate.shared()
        #expect(t.tissueShape == VolumeShape(depth: 157, height: 185, width: 149))
        // Summed probabilities (1 mm³ voxels) in millilitres: the ICBM152 average's grey, white, ventricles.
        var sums = SIMD4<Double>.zero
        for v in t.tissues { sums += SIMD4<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3])) / 63 }
        let ml = sums / 1000
        #expect((700...1200).contains(ml[0] + ml[1]), "grey \(ml[0] + ml[1]) ml")
        #expect((450...900).contains(ml[2]), "white \(ml[2]) ml")
        #expect((10...80).contains(ml[3]), "ventricles \(ml[3]) ml")
        #expect(ml[1] > 20 && ml[1] < 120, "deep grey \(ml[1]) ml")
        // The envelope encloses the brain: inside at the centre, outside at the grid's corner.
        #expect(t.envelopeDistance(at: t.centreMM) < -20)
        #expect(t.envelopeDistance(at: t.envelopeBoundsMM.low + 1) > 20)
        // Every tissue voxel with brain tissue lies inside the envelope (no brain outside the skull).
        var outside = 0
        let w = t.tissueShape.width, h = t.tissueShape.height
        for (n, v) in t.tissues.enumerated() where Int(v[0]) + Int(v[1]) + Int(v[2]) > 32 {
            let y = t.tissueOriginMM + SIMD3<Float>(Float(n % w), Float((n / w) % h), Float(n / (w * h)))
            if t.envelopeDistance(at: y) > 0.5 { outside += 1 }
        }
        #expect(outside == 0, "\(outside) voxels of brain tissue outside the envelope")
    }

    /// The map from a case to the template is a diffeomorphism: its Jacobian determinant (finite differences on
    /// the 4 mm lattice) is positive everywhere, for the default ranges and for the largest allowed settings.
    @Test(arguments: [false, true])
    func theCaseMapNeverFolds(extreme: Bool) throws {
        let s = Self.settings { v in
            if extreme {
                v.maxDeformationLipschitz = 0.9
                v.deformationAmplitudeMM = 20
                v.deformationWavelengthMM = 10...40
                v.ventricleExpansion = 0.59...0.59
                v.ventricleExpansionPerAtrophy = 0
                v.asymmetry = 0.1...0.1
            }
        }
        let phantom = try HeadPhantom(settings: s)
        var smallest = Double.infinity
        for index in 0..<(extreme ? 4 : 12) {
            let p = try #require(phantom.drawParameters(seed: 77, index: index).templateBrain)
            let m = TemplateBrainMapping(template: try BrainTemplate.shared(), parameters: p)
            let (nx, ny, nz) = m.latticeShape
            for k in 0..<(nz - 1) { for j in 0..<(ny - 1) { for i in 0..<(nx - 1) {
                let n = (k * ny + j) * nx + i
                let o = m.lattice[n]
                let dx = m.lattice[n + 1] - o, dy = m.lattice[n + nx] - o, dz = m.lattice[n + nx * ny] - o
                let det = Double(dx.x * (dy.y * dz.z - dy.z * dz.y) - dx.y * (dy.x * dz.z - dy.z * dz.x)
                                 + dx.z * (dy.x * dz.y - dy.y * dz.x))
                smallest = min(smallest, det / pow(Double(m.latticeSpacingMM), 3))
            } } }
        }
        #expect(smallest > 0, "smallest Jacobian determinant \(smallest)")
        if !extreme { #expect(smallest > 0.1, "smallest Jacobian determinant \(smallest)") }
    }

    /// The per-voxel readers against naive references: the tissue and envelope trilinear reads against a
    /// straightforward trilinear interpolation of the stored values, and the 4 mm lattice's reading against the
    /// exact map it tabulates (the documented error bound, < 0.1 mm inside the head).
    @Test func theTrilinearReadersMatchTheirReferences() throws {
        let t = try BrainTemplate.shared()
        func naive(_ value: (Int, Int, Int) -> Double, at u: SIMD3<Double>) -> Double {
            let f = u.rounded(.down), r = u - f
            var sum = 0.0
            for c in 0..<8 {
                let (dx, dy, dz) = (c & 1, (c >> 1) & 1, c >> 2)
                let w = (dx == 1 ? r.x : 1 - r.x) * (dy == 1 ? r.y : 1 - r.y) * (dz == 1 ? r.z : 1 - r.z)
                sum += w * value(Int(f.x) + dx, Int(f.y) + dy, Int(f.z) + dz)
            }
            return sum
        }
        var g = SeededGenerator(seed: 8)
        let tw = t.tissueShape.width, th = t.tissueShape.height
        let ew = t.envelopeShape.width, eh = t.envelopeShape.height
        for _ in 0..<500 {
            let y = t.centreMM + SIMD3<Float>(Float(g.uniform(-60, 60)), Float(g.uniform(-80, 80)), Float(g.uniform(-60, 60)))
            let p = t.tissueProbabilities(at: y)
            let u = SIMD3<Double>(y - t.tissueOriginMM)
            for c in 0..<4 {
                let expected = naive({ i, j, k in Double(t.tissues[(k * th + j) * tw + i][c]) / 63 }, at: u)
                #expect(abs(Double(p[c]) - expected) < 1e-5, "channel \(c) at \(y)")
            }
            let e = naive({ i, j, k in Double(t.envelope[(k * eh + j) * ew + i]) },
                          at: SIMD3<Double>(y - t.envelopeOriginMM) / Double(t.envelopeSpacingMM))
            #expect(abs(Double(t.envelopeDistance(at: y)) - e) < 1e-3, "envelope at \(y)")
        }
        let phantom = try HeadPhantom(settings: Self.settings())
        var largest = 0.0
        for index in 0..<3 {
            let p = try #require(phantom.drawParameters(seed: 21, index: index).templateBrain)
            let m = TemplateBrainMapping(template: t, parameters: p)
            let exact = TemplateBrainMapping.exactMap(template: t, parameters: p)
            for _ in 0..<2000 {
                let x = SIMD3<Double>(g.uniform(-70, 70), g.uniform(-95, 95), g.uniform(-75, 75))
                let y = try #require(m.templatePoint(head: SIMD3<Float>(x)))
                let d = SIMD3<Double>(y) - exact(x)
                largest = max(largest, (d * d).sum().squareRoot())
            }
        }
        #expect(largest < 0.1, "largest lattice error \(largest) mm")
    }

    @Test func atrophyWidensTheCSFAndShrinksTheGreyMatter() throws {
        func render(atrophy: Double) throws -> [Tissue: Double] {
            let s = Self.settings { v in
                v.atrophy = atrophy...atrophy
                v.ventricleExpansionPerAtrophy = 0
            }
            return Self.labelVolumesML(try HeadPhantom(settings: s).makeCase(seed: 3, index: 0))
        }
        let young = try render(atrophy: 0), old = try render(atrophy: 0.3)
        #expect(old[.csf, default: 0] > young[.csf, default: 0] * 1.1, "CSF \(young[.csf] ?? 0) → \(old[.csf] ?? 0) ml")
        #expect(old[.greyMatter, default: 0] < young[.greyMatter, default: 0] * 0.95,
                "grey \(young[.greyMatter] ?? 0) → \(old[.greyMatter] ?? 0) ml")
    }

    @Test func ventricularExpansionEnlargesTheVentricles() throws {
        func ventricles(_ alpha: Double) throws -> Double {
            let s = Self.settings { v in
                v.ventricleExpansion = alpha...alpha
                v.atrophy = 0...0
            }
            return Self.labelVolumesML(try HeadPhantom(settings: s).makeCase(seed: 3, index: 0))[.ventricles, default: 0]
        }
        let small = try ventricles(-0.15), normal = try ventricles(0), large = try ventricles(0.4)
        #expect(small < normal && normal * 1.2 < large, "ventricles \(small), \(normal), \(large) ml")
    }

    @Test func theBrainLiesInsideTheSkullAndTheHeadInsideTheGrid() throws {
        let c = try HeadPhantom(settings: Self.settings()).makeCase(seed: 12, index: 0)
        let v = Self.labelVolumesML(c)
        #expect((1000...1800).contains(v[.greyMatter, default: 0] + v[.whiteMatter, default: 0] + v[.deepGreyMatter, default: 0]
                                        + v[.csf, default: 0] + v[.ventricles, default: 0]), "\(v)")
        #expect(v[.corticalBone, default: 0] > 100 && v[.diploe, default: 0] > 20, "\(v)")
        // The outermost slices along x and y are air: the head fits the default field of view.
        let s = c.labels.shape
        for k in 0..<s.depth { for j in 0..<s.height {
            #expect(c.labels[k, j, 0] == 0 && c.labels[k, j, s.width - 1] == 0)
        } }
        for k in 0..<s.depth { for i in 0..<s.width {
            #expect(c.labels[k, 0, i] == 0 && c.labels[k, s.height - 1, i] == 0)
        } }
    }

    /// Settings recorded before the template brain (no `brain` key) read as the procedural brain they were rendered
    /// with, and render it; the template brain is the default and draws template parameters.
    @Test func settingsWithoutTheBrainKeyReadAsProcedural() throws {
        let s = Self.settings()
        var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as! [String: Any]
        #expect(object["brain"] as? String == "template")
        object.removeValue(forKey: "brain")
        object.removeValue(forKey: "templateVariation")
        let old = try JSONDecoder().decode(HeadPhantomSettings.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.brain == .procedural)
        let oldPhantom = try HeadPhantom(settings: old), newPhantom = try HeadPhantom(settings: s)
        let a = try oldPhantom.makeCase(seed: 4, index: 0), b = try newPhantom.makeCase(seed: 4, index: 0)
        #expect(a.parameters.templateBrain == nil && b.parameters.templateBrain != nil)
        #expect(a.labels != b.labels)
        // The other draws are unchanged by the brain's kind (the template draws from its own stream).
        #expect(a.parameters.anatomy == b.parameters.anatomy && a.parameters.tissues == b.parameters.tissues)
        // A record drawn for one kind is refused by a phantom of the other, saying which.
        #expect(throws: MedSynthError.self) { try oldPhantom.render(b.parameters) }
        #expect(throws: MedSynthError.self) { try newPhantom.render(a.parameters) }
    }

    @Test func badTemplateVariationNamesTheField() throws {
        var s = Self.settings()
        s.templateVariation.maxDeformationLipschitz = 1.2
        do {
            _ = try HeadPhantom(settings: s)
            Issue.record("a Lipschitz bound of 1.2 was accepted")
        } catch let e as MedSynthError {
            #expect("\(e)".contains("templateVariation.maxDeformationLipschitz") && "\(e)".contains("1.2"), "\(e)")
        }
    }

    @Test func aMissingTemplateMapIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("template-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bundled = try #require(BrainTemplate.bundledDirectory)
        for name in BrainTemplate.tissueFiles.dropLast() {
            try FileManager.default.copyItem(at: bundled.appendingPathComponent(name + ".nii.gz"),
                                             to: folder.appendingPathComponent(name + ".nii.gz"))
        }
        do {
            _ = try BrainTemplate(directory: folder)
            Issue.record("a template without its ventricle map was read")
        } catch let e as MedSynthError {
            #expect("\(e)".contains("ventricles.nii.gz"), "\(e)")
        }
    }
}
