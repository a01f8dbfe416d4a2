import Foundation
import MedCore
import MedTestSupport
import CNIfTIGlue
import Testing
@testable import MedIO

/// Round trips through `NIfTIFile.write` and `read`, and the writer's argument checks.
@Suite struct NIfTIFileTests {
    /// A 4×3×5 (depth × height × width) volume with an oblique affine; values v(i, j, k) = 7i − 5j + 11k − 20,
    /// integers in [−30, 45], representable in every signed type (uint types get +30 added).
    static func sample(offset: Float = 0, modality: Modality = .ct) -> Volume {
        let shape = VolumeShape(depth: 4, height: 3, width: 5)
        var v = Volume(shape: shape, modality: modality)
        for k in 0..<4 { for j in 0..<3 { for i in 0..<5 { v[k, j, i] = Float(7 * i - 5 * j + 11 * k - 20) + offset } } }
        let c = cos(0.4), s = sin(0.4)
        v.affine = Affine(rowMajor: [0.9 * c, -1.1 * s, 0, -12.5,
                                     0.9 * s, 1.1 * c, 0.3, 40.25,
                                     0, 0, 2.5, -7,
                                     0, 0, 0, 1])
        return v
    }

    static let cases: [(NIfTIDataType, Int, String)] = NIfTIDataType.allCases.flatMap { t in
        [1, 2].flatMap { version in [".nii", ".nii.gz"].map { (t, version, $0) } }
    }

    @Test(arguments: cases)
    func roundTripKeepsValuesAffineAndMeaning(dataType: NIfTIDataType, version: Int, suffix: String) throws {
        let dir = try Fixtures.temporaryFolder("nifti")
        defer { try? FileManager.default.removeItem(at: dir) }
        let unsigned = dataType == .uint8 || dataType == .uint16
        var volume = Self.sample(offset: unsigned ? 30 : 0)
        if dataType == .float32 || dataType == .float64 { volume.voxels = volume.voxels.map { $0 / 8 + 0.1 } }
        let url = dir.appendingPathComponent("rt\(suffix)")
        try NIfTIFile.write(volume, to: url, dataType: dataType, version: version)

        let loaded = try NIfTIFile.read(url)
        #expect(loaded.format == (version == 1 ? .nifti1 : .nifti2))
        #expect(loaded.storedDataType == dataType.rawValue)
        #expect(loaded.volume.shape == volume.shape)
        #expect(loaded.volume.voxels == volume.voxels)
        // NIfTI-1 stores the sform as float32.
        #expect(loaded.volume.affine.isClose(to: volume.affine, tolerance: version == 1 ? 1e-5 : 1e-12))
        #expect(loaded.volume.modality == .ct && loaded.volume.unit == .hounsfield)
        #expect(loaded.notes.isEmpty, "\(loaded.notes)")
        let isGzip = try Data(contentsOf: url).prefix(2) == Data([0x1F, 0x8B])
        #expect(isGzip == (suffix == ".nii.gz"))
    }

    @Test func integerTypesRoundToNearest() throws {
        let dir = try Fixtures.temporaryFolder("nifti")
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = Volume(shape: VolumeShape(depth: 1, height: 1, width: 4), voxels: [1.4, 1.6, -2.5, 254.6], modality: .label)
        let url = dir.appendingPathComponent("r.nii")
        try NIfTIFile.write(v, to: url, dataType: .int16)
        let back = try NIfTIFile.read(url).volume
        #expect(back.voxels == [1, 2, -3, 255])
        #expect(back.modality == .label && back.unit == .label)
    }

    /// The chunked, vectorised rounding (ms_round_to_integers) against Double.rounded() over more than two chunks,
    /// with the halfway and just-below-halfway values.
    @Test func chunkedRoundingMatchesTheOracle() throws {
        let dir = try Fixtures.temporaryFolder("nifti")
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SeededGenerator(seed: 11)
        let count = 2 * NIfTIFile.chunkVoxels + 12345
        var values = (0..<count).map { _ in Float.random(in: -40000...40000, using: &rng) }
        let edges: [Float] = [0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -0.49999997, 32767.49, -32768.49, 0, -0.0]
        for (n, e) in edges.enumerated() { values[NIfTIFile.chunkVoxels - 6 + n] = e }
        let v = Volume(shape: VolumeShape(depth: 1, height: 1, width: count), voxels: values)
        let url = dir.appendingPathComponent("round.nii")
        try NIfTIFile.write(v, to: url, dataType: .int32, version: 2)
        let back = try NIfTIFile.read(url).volume.voxels
        let oracle = values.map { Float(Double($0).rounded(.toNearestOrAwayFromZero)) }
        #expect(back == oracle)
        let int16 = Volume(shape: VolumeShape(depth: 1, height: 1, width: edges.count), voxels: edges)
        try NIfTIFile.write(int16, to: url, dataType: .int16)
        #expect(try NIfTIFile.read(url).volume.voxels == [1, -1, 2, -2, 3, -3, 0, 0, 32767, -32768, 0, 0])
    }

    /// The C kernels (int32-lane rounding, float-bound range check) against naive Swift oracles, for every integer
    /// type, at halfway points, just inside and outside each bound, and at random magnitudes up to each type's range.
    @Test func roundingAndRangeKernelsMatchTheOracles() {
        var rng = SeededGenerator(seed: 12)
        func check<T: FixedWidthInteger>(_: T.Type) {
            let low = Double(T.min), high = Double(T.max)
            var values: [Float] = [0, -0.0, 0.5, 1.5, 2.5, 0.49999997, 1.4999999, 8388607.5, 16777215, Float(high)]
            if T.isSigned { values += [-0.5, -1.5, -2.5, -0.49999997, -8388607.5, Float(low)] }
            values += [Float(high) - 0.5, Float(low) + 0.5, Float(high - 0.5).nextDown, Float(low - 0.5).nextUp]
            for _ in 0..<5000 {
                let m = Float.random(in: 0...1, using: &rng)
                values.append(Float(Double(m) * (high - low) + low).rounded(.down) + [0, 0.5, 0.25, 0.75].randomElement(using: &rng)!)
            }
            values = values.filter { Double($0) > low - 0.5 && Double($0) < high + 0.5 }
            var out = [T](repeating: 0, count: values.count)
            out.withUnsafeMutableBytes { ms_round_to_integers(values, Int64(values.count), $0.baseAddress, Int32(T.bitWidth / 8), T.isSigned ? 1 : 0) }
            for (v, o) in zip(values, out) {
                let want = Double(v).rounded(.toNearestOrAwayFromZero)
                #expect(Double(o) == want, "\(T.self) \(v): \(o), want \(want)")
            }
            // The range check: the bounds as NIfTIFile passes them, every value inside, then one outside at n.
            let lo = low - 0.5, hi = high + 0.5
            #expect(ms_first_outside(values, Int64(values.count), lo, hi) == -1)
            for bad in [Float(lo), Float(hi), Float(lo).nextDown, Float(hi).nextUp, .nan, .infinity, -.infinity] where !(Double(bad) > lo && Double(bad) < hi) {
                let n = 4096 + 17  // in the second block of the check
                let copy = [Float](repeating: 1, count: n) + [bad] + values
                #expect(ms_first_outside(copy, Int64(copy.count), lo, hi) == Int64(n), "\(T.self) \(bad)")
            }
        }
        check(Int8.self); check(UInt8.self); check(Int16.self); check(UInt16.self); check(Int32.self); check(UInt32.self)
    }

    @Test func outOfRangeAndNaNAreErrorsNotClipping() throws {
        let dir = try Fixtures.temporaryFolder("nifti")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.nii")
        let big = Volume(shape: VolumeShape(depth: 1, height: 2, width: 2), voxels: [0, 1, 256, 3])
        let e1 = #expect(throws: MedSynthError.self) { try NIfTIFile.write(big, to: url, dataType: .uint8) }
        #expect(e1?.kind == .invalidArgument)
        #expect(e1?.message.contains("256") == true && e1?.message.contains("0...255") == true, "\(String(describing: e1))")
        let nan = Volume(shape: VolumeShape(depth: 1, height: 1, width: 2), voxels: [0, .nan])
        let e2 = #expect(throws: MedSynthError.self) { try NIfTIFile.write(nan, to: url, dataType: .int32) }
        #expect(e2?.message.contains("NaN") == true)
        let negative = Volume(shape: VolumeShape(depth: 1, height: 1, width: 1), voxels: [-0.6])
        #expect(throws: MedSynthError.self) { try NIfTIFile.write(negative, to: url, dataType: .uint16) }
        #expect(!FileManager.default.fileExists(atPath: url.path), "no partial file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        // float types keep NaN.
        try NIfTIFile.write(nan, to: url, dataType: .float32)
        #expect(try NIfTIFile.read(url).volume.voxels[1].isNaN)
    }

    @Test func writerRejectsBadArguments() throws {
        let dir = try Fixtures.temporaryFolder("nifti")
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = Self.sample()
        #expect(throws: MedSynthError.self) { try NIfTIFile.write(v, to: dir.appendingPathComponent("x.img")) }
        #expect(throws: MedSynthError.self) { try NIfTIFile.write(v, to: dir.appendingPathComponent("x.nii"), version: 3) }
        var projective = v
        projective.affine[3, 0] = 0.5
        #expect(throws: MedSynthError.self) { try NIfTIFile.write(projective, to: dir.appendingPathComponent("x.nii")) }
        let wide = Volume(shape: VolumeShape(depth: 1, height: 1, width: 40_000))
        let e = #expect(throws: MedSynthError.self) { try NIfTIFile.write(wide, to: dir.appendingPathComponent("w.nii")) }
        #expect(e?.message.contains("version 2") == true)
        try NIfTIFile.write(wide, to: dir.appendingPathComponent("w.nii.gz"), version: 2)
        #expect(try NIfTIFile.read(dir.appendingPathComponent("w.nii.gz")).volume.shape == wide.shape)
        let missing = dir.appendingPathComponent("no-such-folder/x.nii")
        let e2 = #expect(throws: MedSynthError.self) { try NIfTIFile.write(v, to: missing) }
        #expect(e2?.kind == .writeFailed)
    }

    @Test func descripTagParsing() {
        let tag = NIfTIDescripTag(modality: .pet, unit: .suv)
        let text = tag.text(version: "9.9.9")
        #expect(text == "MedSynth 9.9.9 modality=PET unit=SUV")
        #expect(NIfTIDescripTag(descrip: text) == tag)
        #expect(NIfTIDescripTag(descrip: "MedSynth modality=t1") == NIfTIDescripTag(modality: .t1, unit: .arbitrary))
        #expect(NIfTIDescripTag(descrip: "FSL5.0") == nil)
        // Modalities are an open set (MR contrasts such as T1ce round-trip); a name that cannot be one is no tag.
        #expect(NIfTIDescripTag(descrip: "MedSynth modality=T1ce") == NIfTIDescripTag(modality: Modality(rawValue: "T1ce"), unit: .arbitrary))
        #expect(NIfTIDescripTag(descrip: "MedSynth modality=3D") == nil)
        #expect(NIfTIDescripTag(descrip: "MedSynth modality=a/b") == nil)
    }

    @Test func readingAPairsHeaderOrMissingFileFails() {
        let e = #expect(throws: MedSynthError.self) { try NIfTIFile.read(URL(fileURLWithPath: "/nonexistent/a.nii")) }
        #expect(e?.kind == .notFound && e?.subject == "/nonexistent/a.nii")
    }
}
