import ArgumentParser
import Dispatch
import Foundation
import MedCore
import MedIO
import MedSynthesis

/// `medsynth demo`: the main job on built-in data. Generates a seeded phantom set, writes it as HDF5, NIfTI
/// and PNG, reads every file back and prints its summary.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate a small synthetic head-phantom set (CT + labels) and print its summary.",
        discussion: """
        Writes OUT/phantom.h5 (every case, layout in docs/DATASET_FORMAT.md), OUT/case000_CT.nii.gz,
        OUT/case000_labels.nii.gz and OUT/case000_CT_mid.png, then reads each back and prints what it holds.

        Examples:
          medsynth demo
          medsynth demo --cases 8 --shape 48 96 96 --seed 7 --out Outputs/demo-big
        """
    )

    @Option(help: "Number of cases.")
    var cases: Int = 4

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Grid extents D H W (slices, rows, columns).", valueName: "d h w"))
    var shape: [Int] = [32, 64, 64]

    @Option(help: "Random seed; the same seed gives byte-identical data.")
    var seed: UInt64 = 2026

    @Option(help: "Output folder (created if missing).")
    var out: String = "Outputs/demo"

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
        let phantom = EllipsoidHeadPhantom(settings: .init(shape: VolumeShape(depth: shape[0], height: shape[1], width: shape[2])))
        var entries: [(caseID: String, volume: Volume)] = []
        var lesionCount = 0
        for n in 0..<cases {
            let c = phantom.makeCase(seed: seed, index: n)
            let id = String(format: "case%03d", n)
            entries.append((id, c.ct))
            entries.append((id, c.labels))
            if c.hasLesion { lesionCount += 1 }
            if !json { FileHandle.standardError.write(Data("generated \(id) (\(n + 1)/\(cases))\n".utf8)) }
        }
        let h5 = folder.appendingPathComponent("phantom.h5")
        try HDF5VolumeStore.write(entries, to: h5)
        let ctNIfTI = folder.appendingPathComponent("case000_CT.nii.gz")
        let labelNIfTI = folder.appendingPathComponent("case000_labels.nii.gz")
        let png = folder.appendingPathComponent("case000_CT_mid.png")
        try VolumeIO.write(entries[0].volume, to: ctNIfTI, options: VolumeWriteOptions(niftiDataType: .int16))
        try VolumeIO.write(entries[1].volume, to: labelNIfTI, options: VolumeWriteOptions(niftiDataType: .uint8))
        try VolumeIO.write(entries[0].volume, to: png,
                           options: VolumeWriteOptions(window: try IntensityWindow(lowerValue: -160, upperValue: 240),
                                                       slice: shape[0] / 2))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        // Read everything back: the summary describes the files, not the in-memory data.
        var summaries: [VolumeSummary] = []
        for path in try HDF5VolumeStore.datasetPaths(in: h5) {
            summaries.append(VolumeSummary(file: h5.path, dataset: path, loaded: try HDF5VolumeStore.read(h5, dataset: path)))
        }
        for url in [ctNIfTI, labelNIfTI, png] {
            summaries.append(VolumeSummary(file: url.path, loaded: try VolumeIO.read(url)))
        }
        if json {
            let report = DemoReport(cases: cases, shape: shape, seed: seed, casesWithLesion: lesionCount,
                                    seconds: seconds, files: summaries)
            print(try PrettyJSON.string(report))
            return
        }
        print("MedSynth demo: \(cases) phantom cases of \(shape.map(String.init).joined(separator: "x")) voxels, seed \(seed), \(lesionCount) with a lesion, written in \(String(format: "%.2f", seconds)) s")
        print("")
        print(pad("file", 44) + pad("dataset", 22) + pad("modality", 10) + pad("dtype", 9) + pad("min", 10) + pad("max", 10) + "mean")
        for s in summaries {
            let name = URL(fileURLWithPath: s.file).lastPathComponent
            print(pad(name, 44) + pad(s.dataset ?? "-", 22) + pad(s.modality, 10) + pad(s.dtype, 9)
                  + pad(String(format: "%.1f", s.min), 10) + pad(String(format: "%.1f", s.max), 10) + String(format: "%.2f", s.mean))
        }
        print("")
        print("Inspect a file with: medsynth info \(h5.path)")
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}

/// The JSON form of the demo's summary.
struct DemoReport: Codable {
    var cases: Int
    var shape: [Int]
    var seed: UInt64
    var casesWithLesion: Int
    var seconds: Double
    var files: [VolumeSummary]
}
