import ArgumentParser
import Dispatch
import Foundation
import MedCore
import MedIO
import MedSynthesis

/// `medsynth sample`: a small seeded multimodal phantom set written as HDF5, NIfTI and PNG, each file read back
/// and summarised — sample files to look at and to try the other commands on.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write a small synthetic multimodal head-phantom set (HDF5, NIfTI, PNG) and print its summary.",
        discussion: """
        Each case is a seeded head phantom: a label map and co-registered CT (HU), T1, T2, FLAIR (MR) and PET (SUV). Writes OUT/phantom.h5 (every case and modality; layout in docs/DATASET_FORMAT.md), OUT/case000_CT.nii.gz, OUT/case000_T1.nii.gz, OUT/case000_labels.nii.gz and OUT/case000_CT_mid.png, then reads each file back and prints what it holds.

        Examples:
          medsynth sample
          medsynth sample --cases 8 --shape 48 96 96 --seed 7 --out Outputs/sample-big
        """
    )

    @Option(help: "Number of cases.")
    var cases: Int = 4

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Grid extents D H W (slices, rows, columns).", valueName: "d h w"))
    var shape: [Int] = [64, 128, 128]

    @Option(help: "Random seed; the same seed gives byte-identical data.")
    var seed: UInt64 = 2026

    @Option(help: "Output folder (created if missing).")
    var out: String = "Outputs/sample"

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard shape.count == 3, shape.allSatisfy({ $0 >= 8 && $0 <= 1024 }) else {
            throw ValidationError("--shape takes three extents D H W, each 8…1024; got \(shape)")
        }
        guard cases >= 1 && cases <= 10_000 else { throw ValidationError("--cases must be 1…10000, got \(cases)") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw MedSynthError(.writeFailed, out, "cannot create the output folder: \(error.localizedDescription)")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        // Keep the default field of view (an adult head) whatever the grid: spacing = default FOV / extents.
        var settings = HeadPhantomSettings()
        let fovMM = SIMD3(Double(settings.shape.width), Double(settings.shape.height), Double(settings.shape.depth)) * settings.spacingMM
        settings.shape = VolumeShape(depth: shape[0], height: shape[1], width: shape[2])
        settings.spacingMM = fovMM / SIMD3(Double(shape[2]), Double(shape[1]), Double(shape[0]))
        let phantom = try HeadPhantom(settings: settings)
        var entries: [(caseID: String, volume: Volume)] = []
        var first: HeadPhantomCase?
        for n in 0..<cases {
            let c = try phantom.makeCase(seed: seed, index: n)
            let id = String(format: "case%03d", n)
            entries += c.volumes.map { (id, $0) }
            if n == 0 { first = c }
            if !json { FileHandle.standardError.write(Data("generated \(id) (\(n + 1)/\(cases))\n".utf8)) }
        }
        let h5 = folder.appendingPathComponent("phantom.h5")
        try HDF5VolumeStore.write(entries, to: h5)
        let ctNIfTI = folder.appendingPathComponent("case000_CT.nii.gz")
        let t1NIfTI = folder.appendingPathComponent("case000_T1.nii.gz")
        let labelNIfTI = folder.appendingPathComponent("case000_labels.nii.gz")
        let png = folder.appendingPathComponent("case000_CT_mid.png")
        try VolumeIO.write(first!.ct, to: ctNIfTI, options: VolumeWriteOptions(niftiDataType: .int16))
        try VolumeIO.write(first!.t1, to: t1NIfTI)
        try VolumeIO.write(first!.labels, to: labelNIfTI, options: VolumeWriteOptions(niftiDataType: .uint8))
        try VolumeIO.write(first!.ct, to: png,
                           options: VolumeWriteOptions(window: try IntensityWindow(lowerValue: -160, upperValue: 240),
                                                       slice: shape[0] / 2))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        // Read everything back: the summary describes the files, not the in-memory data.
        var summaries: [VolumeSummary] = []
        for path in try HDF5VolumeStore.datasetPaths(in: h5) {
            summaries.append(VolumeSummary(file: h5.path, dataset: path, loaded: try HDF5VolumeStore.read(h5, dataset: path)))
        }
        for url in [ctNIfTI, t1NIfTI, labelNIfTI, png] {
            summaries.append(VolumeSummary(file: url.path, loaded: try VolumeIO.read(url)))
        }
        if json {
            let report = DemoReport(cases: cases, shape: shape, seed: seed, spacingMM: [settings.spacingMM.x, settings.spacingMM.y, settings.spacingMM.z],
                                    seconds: seconds, files: summaries)
            print(try PrettyJSON.string(report))
            return
        }
        let sp = settings.spacingMM
        print("MedSynth sample: \(cases) multimodal head-phantom cases of \(shape.map(String.init).joined(separator: "x")) voxels "
              + String(format: "(%.2f x %.2f x %.2f mm)", sp.x, sp.y, sp.z) + ", seed \(seed), generated and written in \(String(format: "%.2f", seconds)) s")
        print("")
        print(pad("file", 44) + pad("dataset", 22) + pad("modality", 10) + pad("dtype", 9) + pad("min", 10) + pad("max", 10) + "mean")
        for s in summaries {
            let name = URL(fileURLWithPath: s.file).lastPathComponent
            print(pad(name, 44) + pad(s.dataset ?? "-", 22) + pad(s.modality, 10) + pad(s.dtype, 9)
                  + pad(String(format: "%.1f", s.min), 10) + pad(String(format: "%.1f", s.max), 10) + String(format: "%.2f", s.mean)
                  + " " + s.unit)
        }
        print("")
        print("Inspect a file with: medsynth info \(h5.path)")
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}

/// The JSON form of the sample's summary.
struct DemoReport: Codable {
    var cases: Int
    var shape: [Int]
    var seed: UInt64
    var spacingMM: [Double]
    var seconds: Double
    var files: [VolumeSummary]
}
