import Foundation
import MedCore
import MedNN
import Testing
@testable import MedTraining

/// `medsynth bench engine`'s configurations: parsing, names, and one small segmenter step.
struct EngineBenchConfigTests {
    @Test func parsesCycleGANForms() throws {
        #expect(EngineBenchConfig(parsing: "64") == EngineBenchConfig(size: 64, filters: 32, blocks: 6))
        #expect(EngineBenchConfig(parsing: "256")?.description == "256:64:9")
        let custom = try #require(EngineBenchConfig(parsing: "32:8:2"))
        #expect(custom.kind == .cycleGAN && custom.size == 32 && custom.filters == 8 && custom.blocks == 2)
        #expect(custom.defaultSteps == 10)
        #expect(EngineBenchConfig(parsing: custom.description) == custom)
    }

    @Test func parsesSegmenters() throws {
        let seg2d = try #require(EngineBenchConfig(parsing: "seg2d"))
        #expect(seg2d == .seg2d && seg2d.kind == .seg2d && seg2d.isSegmenter && seg2d.spatialRank == 2)
        #expect(seg2d.size == 64 && seg2d.filters == 16 && seg2d.blocks == 3 && seg2d.batch == 8)
        #expect(seg2d.defaultSteps == 10 && seg2d.description == "seg2d")
        let seg3d = try #require(EngineBenchConfig(parsing: " SEG3D "))
        #expect(seg3d == .seg3d && seg3d.spatialRank == 3)
        #expect(seg3d.size == 64 && seg3d.filters == 8 && seg3d.blocks == 3 && seg3d.batch == 2)
        #expect(seg3d.defaultSteps == 3 && seg3d.description == "seg3d")
        let small = try #require(EngineBenchConfig(parsing: "seg3d:16:4:2:1"))
        #expect(small == EngineBenchConfig(segmenter: .seg3d, size: 16, width: 4, depth: 2, batch: 1))
        #expect(small.description == "seg3d:16:4:2:1")
        #expect(EngineBenchConfig(parsing: small.description) == small)
        #expect(EngineBenchConfig.defaults.map(\.description) == ["64:32:6", "128:64:6", "256:64:9", "seg2d", "seg3d"])
    }

    @Test func rejectsBadNames() {
        for bad in ["seg4d", "seg", "cyclegan", "unet", "", "65", "64:32", "seg2d:64", "seg2d:60:16:3:8",
                    "seg2d:64:0:3:8", "seg3d:64:8:3:0", "seg2d:64:16:3:8:1", "7:8:1", "64:0:6"] {
            #expect(EngineBenchConfig(parsing: bad) == nil, "'\(bad)' should not parse")
        }
        #expect(EngineBenchConfig.accepted.contains("seg2d") && EngineBenchConfig.accepted.contains("seg3d"))
    }

    /// The networks of seg2d and seg3d have the parameter counts of the architecture (counted by hand:
    /// bias-free 3×3(×3) convolutions, non-affine instance norm, transposed convolutions and head with biases),
    /// the counts benchmarks/torch_reference.py reports for its peer networks.
    @Test func segmenterParameterCounts() {
        var g = SeededGenerator(seed: 0)
        let net2 = UNetSegmenter(EngineBenchmark.segmenterNetworkConfig(.seg2d), generator: &g)
        #expect(net2.parameterCount == 481_058)
        let net3 = UNetSegmenter(EngineBenchmark.segmenterNetworkConfig(.seg3d), generator: &g)
        #expect(net3.parameterCount == 350_114)
    }

    @Test func segmenterBatchIsDeterministicWithForeground() {
        let config = EngineBenchConfig(segmenter: .seg2d, size: 16, width: 4, depth: 2, batch: 2)
        let a = EngineBenchmark.segmenterBatch(config, seed: 3), b = EngineBenchmark.segmenterBatch(config, seed: 3)
        #expect(a.images.shape == [2, 1, 16, 16] && a.labels.shape == [2, 16, 16])
        #expect(a.images.scalars == b.images.scalars && a.labels.scalars == b.labels.scalars)
        let foreground = a.labels.scalars.filter { $0 == 1 }.count
        #expect(a.labels.scalars.allSatisfy { $0 == 0 || $0 == 1 })
        #expect(foreground > 64 / 2 && foreground < 512 - 64)
    }

    /// One step of tiny 2-D and 3-D segmenters through the benchmark: the result has the segmenter's fields,
    /// no translation fields (absent from the JSON), and finite losses.
    @Test func smallSegmenterStepRuns() throws {
        for config in [EngineBenchConfig(segmenter: .seg2d, size: 16, width: 4, depth: 2, batch: 2),
                       EngineBenchConfig(segmenter: .seg3d, size: 8, width: 2, depth: 1, batch: 1)] {
            let r = EngineBenchmark.run(config, steps: 1, warmup: 1, seed: 0)
            #expect(r.config == config.description && r.kind == config.kind.rawValue)
            #expect(r.spatial_rank == config.spatialRank && r.batch == config.batch && r.depth == config.blocks)
            #expect(r.steps_timed == 1 && r.train_ms_all.count == 1 && r.train_ms_median > 0)
            #expect(r.translate_ms_median == nil && r.ngf == nil && r.parameters_G == nil)
            var g = SeededGenerator(seed: 0)
            #expect(r.parameters == UNetSegmenter(EngineBenchmark.segmenterNetworkConfig(config), generator: &g).parameterCount)
            #expect(r.last_losses["loss"].map { $0.isFinite } == true)
            let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
            #expect(!json.contains("translate_ms") && json.contains("\"parameters\""))
            let back = try JSONDecoder().decode(EngineBenchResult.self, from: Data(json.utf8))
            #expect(back.config == r.config && back.translate_ms_min == nil)
        }
    }
}
