import Foundation
import MedCore
import MedIO
import MedNN
import MedTensor
import MedTestSupport
import Testing

/// Checkpoints (`Checkpoint`, `CheckpointContents`, docs/CHECKPOINT_FORMAT.md): exact round trips of networks,
/// buffers, optimizer state and training state; errors that name the file, the key and the shapes, with nothing
/// changed; and interop with `scripts/convert_pth_checkpoint.py` through committed fixtures
/// (`Tests/Fixtures/checkpoint/`, written by `scripts/make_checkpoint_fixtures.py`).
///
/// All HDF5 work runs inside `HDF5TestGate.exclusive` (the HDF5 leak check counts identifiers process-wide).
@Suite struct CheckpointTests {
    // MARK: - Round trips

    /// The networks of the round-trip test, all with batch norm so that running statistics and
    /// `num_batches_tracked` travel too; small enough to train in milliseconds.
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case resnetGenerator, nLayerDiscriminator, unetGenerator, unetSegmenter2D, unetSegmenter3D

        var testDescription: String { rawValue }

        func make(seed: UInt64) -> Module {
            var g = SeededGenerator(seed: seed)
            switch self {
            case .resnetGenerator:
                return ResnetGenerator(ResnetGeneratorConfig(inputChannels: 1, outputChannels: 1, filters: 4, norm: .batch, blocks: 2), generator: &g)
            case .nLayerDiscriminator:
                return NLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 1, filters: 4, layers: 3, norm: .batch), generator: &g)
            case .unetGenerator:
                return UnetGenerator(UnetGeneratorConfig(inputChannels: 1, outputChannels: 1, downsamplings: 5, filters: 2, norm: .batch), generator: &g)
            case .unetSegmenter2D:
                return UNetSegmenter(UNetSegmenterConfig(spatialRank: 2, inputChannels: 1, classes: 3, depth: 2, baseWidth: 4, norm: .batch), generator: &g)
            case .unetSegmenter3D:
                return UNetSegmenter(UNetSegmenterConfig(spatialRank: 3, inputChannels: 1, classes: 2, depth: 1, baseWidth: 2, norm: .batch), generator: &g)
            }
        }

        /// A batch of two inputs.
        func input(seed: UInt64) -> Tensor {
            var g = SeededGenerator(seed: seed)
            let shape: [Int] = switch self {
            case .resnetGenerator: [2, 1, 16, 16]
            case .nLayerDiscriminator, .unetGenerator, .unetSegmenter2D: [2, 1, 32, 32]
            case .unetSegmenter3D: [2, 1, 4, 8, 8]
            }
            return Tensor.uniform(shape, lower: -1, upper: 1, using: &g)
        }
    }

    @Test(arguments: Kind.allCases)
    func roundTripIsBitExactAndTrainingContinuesIdentically(kind: Kind) throws {
        let original = kind.make(seed: 1)
        let adam = Optimizer(original, learningRate: 1e-3, rule: Adam(beta1: 0.5))
        for step in 0..<2 { trainStep(original, adam, kind.input(seed: 10 + UInt64(step))) }

        let restored = kind.make(seed: 99)
        let restoredAdam = Optimizer(restored, learningRate: 0.5, rule: Adam(beta1: 0.5))
        #expect(bits(restored) != bits(original), "the fresh network must start different")
        let contents = try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("net.h5")
            try Checkpoint(network: original, optimizer: adam, hyperparameters: #"{"lr": 0.001}"#).save(to: url)
            return try Checkpoint(network: restored, optimizer: restoredAdam).load(from: url)
        }
        #expect(bits(restored) == bits(original), "\(kind): parameters and buffers differ after the round trip")
        #expect(stateBits(restoredAdam) == stateBits(adam), "\(kind): optimizer state differs after the round trip")
        #expect(restoredAdam.learningRate == adam.learningRate)
        #expect(contents.architectures[""] == NetworkArchitecture(describing: original))
        #expect(contents.hyperparameters == #"{"lr": 0.001}"#)

        // Outputs in evaluation mode are bit-identical, also for a network built from the file alone.
        let probe = kind.input(seed: 20)
        var g = SeededGenerator(seed: 5)
        let rebuilt = try contents.makeNetwork(generator: &g)
        original.eval(); restored.eval()
        let expected = withNoGrad { (original as! any UnaryLayer)(probe) }
        #expect(outputBits(restored, probe) == expected.scalars.map(\.bitPattern), "\(kind): outputs differ")
        #expect(outputBits(rebuilt, probe) == expected.scalars.map(\.bitPattern), "\(kind): rebuilt network differs")

        // One more Adam step (training mode) gives the same weights as without the save and load.
        original.train(); restored.train()
        trainStep(original, adam, kind.input(seed: 30))
        trainStep(restored, restoredAdam, kind.input(seed: 30))
        #expect(bits(restored) == bits(original), "\(kind): the step after reloading differs from the step without")
        #expect(stateBits(restoredAdam) == stateBits(adam))
    }

    @Test func cycleGANCheckpointRestoresFourNetworksTwoOptimizersAndTrainingState() throws {
        let original = CycleGANParts(seed: 1)
        original.trainStep(seed: 40)
        var state = TrainingState()
        state.integers["step"] = 7
        state.integers["epoch"] = -1
        state.numbers["best_ssim"] = 0.1 + 0.2
        var rng = SeededGenerator(seed: 77)
        _ = rng.next()
        state.setGenerator(rng, named: "data")
        state.words["empty"] = []
        state.words["extremes"] = [0, 1, .max]
        let schedule = LinearDecaySchedule(baseLearningRate: 2e-4, constantEpochs: 3, decayEpochs: 5)
        try state.setJSON(schedule, named: "schedule")
        state.strings["note"] = "Grüße \"quoted\"\n"
        var g = SeededGenerator(seed: 8)
        state.tensors["pool_A"] = Tensor.randn([2, 1, 16, 16], using: &g)
        state.tensors["pool_B"] = Tensor.zeros([0, 1, 16, 16])
        state.tensors["scalar"] = Tensor(scalar: -0.0)

        let restored = CycleGANParts(seed: 2)
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("latest.h5")
            try original.checkpoint.save(to: url, trainingState: state)
            let loaded = try restored.checkpoint.load(from: url).trainingState
            #expect(loaded.integers == state.integers)
            #expect(loaded.numbers["best_ssim"]?.bitPattern == state.numbers["best_ssim"]?.bitPattern)
            #expect(loaded.words == state.words)
            #expect(loaded.strings == state.strings)
            #expect(try loaded.decodeJSON(LinearDecaySchedule.self, named: "schedule") == schedule)
            var resumed = try loaded.generator(named: "data")
            #expect(resumed.next() == rng.next(), "the restored generator continues the same stream")
            #expect(Set(loaded.tensors.keys) == Set(state.tensors.keys))
            for (name, tensor) in state.tensors {
                #expect(loaded.tensors[name]?.shape == tensor.shape, "\(name)")
                #expect(loaded.tensors[name]?.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern), "\(name)")
            }

            // The layout the format documents.
            let file = try HDF5File.open(url)
            #expect(try file.root.attributes.value("networks") == .strings(["G_A", "G_B", "D_A", "D_B"]))
            #expect(file.root.exists("parameters/G_A.model.1.weight"))
            #expect(file.root.exists("parameters/D_B.model.0.bias"))
            let optimizer = try file.root.group("optimizers/G")
            #expect(try optimizer.attributes.string("class") == "Adam")
            #expect(try optimizer.attributes.value("parameters") == .strings(original.optimizerG.parameters.map(\.key)))
            let step = try optimizer.dataset("step")
            #expect(step.shape == [] && step.elementType == .int64)
            #expect(try step.read(as: Int.self) == [1])
            let architecture = try file.root.attributes.string("architecture") ?? ""
            #expect(architecture.hasPrefix(#"{"G_A": {"class": "ResnetGenerator", "input_nc": 1, "output_nc": 1, "ngf": 4, "norm": "instance""#))
            try file.close()
            // A translator loads one generator alone; networks it does not list are ignored.
            let lone = CycleGANParts(seed: 3).gA
            try Checkpoint(networks: [(name: "G_A", module: lone)]).load(from: url)
            #expect(bits(lone) == bits(original.gA))
        }
        for (a, b) in zip(original.networks, restored.networks) { #expect(bits(a) == bits(b)) }
        #expect(stateBits(restored.optimizerG) == stateBits(original.optimizerG))
        #expect(stateBits(restored.optimizerD) == stateBits(original.optimizerD))
        original.trainStep(seed: 41)
        restored.trainStep(seed: 41)
        for (a, b) in zip(original.networks, restored.networks) { #expect(bits(a) == bits(b), "one more CycleGAN step differs") }
    }

    @Test func storesPyTorchTypesShapesAndOrder() throws {
        let net = Kind.resnetGenerator.make(seed: 3)
        let sgd = Optimizer(net, learningRate: 0.01, rule: SGD(momentum: 0.9))
        trainStep(net, sgd, Kind.resnetGenerator.input(seed: 4))
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("g.h5")
            try Checkpoint(network: net, optimizer: sgd).save(to: url)
            do {
                let file = try HDF5File.open(url)
                let root = file.root
                #expect(try root.attributes.string("format") == "medsynth-checkpoint-1")
                #expect(try root.attributes.string("medsynth_version") == MedSynthVersion.string)
                #expect(try root.attributes.value("state_dict_keys") == .strings(net.orderedStateDict().map(\.key)))
                #expect(try root.attributes.value("networks") == nil)
                let count = try root.dataset("buffers/model.2.num_batches_tracked")
                #expect(count.shape == [] && count.elementType == .int64)
                #expect(try count.read(as: Int.self) == [1])
                let mean = try root.dataset("buffers/model.2.running_mean")
                #expect(mean.shape == [4] && mean.elementType == .float32 && mean.chunkShape == nil && mean.filters.isEmpty)
                #expect(try root.dataset("parameters/model.12.weight").shape == [16, 8, 3, 3], "ConvTranspose keeps [in, out, kh, kw]")
                let optimizer = try root.group("optimizer")
                #expect(try optimizer.attributes.string("class") == "SGD")
                #expect(try optimizer.attributes.string("hyperparameters") ==
                        #"{"lr": 0.01, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": false, "maximize": false}"#)
                #expect(try optimizer.dataset("model.1.weight.momentum_buffer").shape == [4, 1, 7, 7])
                try file.close()
            }
        }
    }

    // MARK: - Errors

    @Test func missingAndUnexpectedKeysAreNamedAndNothingChanges() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("two_blocks.h5")
            try Checkpoint(network: resnet(blocks: 2, filters: 4, seed: 1)).save(to: url)
            for (blocks, expected) in [(3, "missing keys [\"model.12.conv_block.1.weight\""), (1, "unexpected keys [\"model.11.conv_block.1.weight\"")] {
                let other = resnet(blocks: blocks, filters: 4, seed: 2)
                let before = bits(other)
                let error = try #require(throws: MedSynthError.self) { try Checkpoint(network: other).load(from: url) }
                #expect(error.kind == .mismatch && error.subject == url.path)
                #expect(error.message.contains(expected), "\(error)")
                #expect(bits(other) == before)
            }
        }
    }

    @Test func wrongShapeNamesKeyAndBothShapesAndNothingChanges() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("narrow.h5")
            let narrow = resnet(blocks: 1, filters: 4, seed: 1)
            try Checkpoint(network: narrow, optimizer: Optimizer(narrow, learningRate: 1, rule: Adam())).save(to: url)
            let wide = resnet(blocks: 1, filters: 8, seed: 2)
            let adam = Optimizer(wide, learningRate: 0.25, rule: Adam())
            trainStep(wide, adam, Kind.resnetGenerator.input(seed: 1))
            let (before, optimizerBefore) = (bits(wide), stateBits(adam))
            let error = try #require(throws: MedSynthError.self) { try Checkpoint(network: wide, optimizer: adam).load(from: url) }
            #expect(error.kind == .mismatch && error.subject == url.path)
            #expect(error.message.contains("'model.1.weight' has shape [4, 1, 7, 7] in the checkpoint, the module expects [8, 1, 7, 7]"), "\(error)")
            #expect(bits(wide) == before && stateBits(adam) == optimizerBefore && adam.learningRate == 0.25)
        }
    }

    @Test func failingOptimizerStateLeavesNetworksAndOptimizersUnchanged() throws {
        let net = Kind.nLayerDiscriminator.make(seed: 1)
        let adam = Optimizer(net, learningRate: 1e-3, rule: Adam())
        trainStep(net, adam, Kind.nLayerDiscriminator.input(seed: 2))
        var contents = try Checkpoint(network: net, optimizer: adam).contents()
        contents.optimizers["optimizer"]?.tensors["model.0.weight.exp_avg_sq"] = nil
        let target = Kind.nLayerDiscriminator.make(seed: 3)
        let targetAdam = Optimizer(target, learningRate: 0.5, rule: Adam())
        trainStep(target, targetAdam, Kind.nLayerDiscriminator.input(seed: 4))
        let (before, optimizerBefore) = (bits(target), stateBits(targetAdam))
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("damaged_optimizer.h5")
            try contents.write(to: url)
            let error = try #require(throws: MedSynthError.self) { try Checkpoint(network: target, optimizer: targetAdam).load(from: url) }
            #expect(error.subject == url.path && error.message.contains("exp_avg_sq"), "\(error)")

            // Another optimizer class is refused before anything is loaded.
            let sgd = Optimizer(target, learningRate: 0.5, rule: SGD())
            let classError = try #require(throws: MedSynthError.self) { try Checkpoint(network: target, optimizer: sgd).load(from: url) }
            #expect(classError.message.contains("optimizer 'optimizer' is Adam in the checkpoint, SGD here"), "\(classError)")
        }
        #expect(bits(target) == before && stateBits(targetAdam) == optimizerBefore && targetAdam.learningRate == 0.5)
    }

    @Test func refusesFilesThatAreNotCheckpoints() throws {
        try withTemporaryFolder { folder in
            let text = folder.appendingPathComponent("notes.h5")
            try Data("not a checkpoint\n".utf8).write(to: text)
            let net = resnet(blocks: 1, filters: 4, seed: 1)
            let error = try #require(throws: MedSynthError.self) { try Checkpoint(network: net).load(from: text) }
            #expect(error.kind == .corrupt && error.subject == text.path && error.message.contains("not an HDF5 file"), "\(error)")

            let dataset = folder.appendingPathComponent("dataset.h5")
            do {
                let file = try HDF5File.create(dataset)
                try file.root.createDataset("cases/a/CT", elementType: .float32, shape: [1, 2, 2]).write([Float](repeating: 0, count: 4))
                try file.close()
            }
            let notCheckpoint = try #require(throws: MedSynthError.self) { try Checkpoint(network: net).load(from: dataset) }
            #expect(notCheckpoint.kind == .unsupported && notCheckpoint.subject == dataset.path)
            #expect(notCheckpoint.message.contains("not a MedSynth checkpoint: no 'format' attribute"), "\(notCheckpoint)")

            let missing = folder.appendingPathComponent("absent.h5")
            let notFound = try #require(throws: MedSynthError.self) { try Checkpoint(network: net).load(from: missing) }
            #expect(notFound.kind == .notFound && notFound.subject == missing.path)
        }
    }

    @Test func refusesTruncatedFiles() throws {
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("full.h5")
            let net = Kind.resnetGenerator.make(seed: 1)
            try Checkpoint(network: net, optimizer: Optimizer(net, learningRate: 1, rule: Adam())).save(to: url)
            let bytes = try Data(contentsOf: url)
            for fraction in [0.02, 0.5, 0.99] {
                let cut = folder.appendingPathComponent("cut_\(fraction).h5")
                try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: cut)
                let target = Kind.resnetGenerator.make(seed: 2)
                let before = bits(target)
                let error = try #require(throws: MedSynthError.self) { try Checkpoint(network: target).load(from: cut) }
                #expect(error.kind == .corrupt && error.subject == cut.path, "\(fraction): \(error)")
                #expect(bits(target) == before)
            }
        }
    }

    @Test func refusesNetworksAndOptimizersTheFileDoesNotHold() throws {
        let parts = CycleGANParts(seed: 1)
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("cyclegan.h5")
            try parts.checkpoint.save(to: url)
            let error = try #require(throws: MedSynthError.self) { try Checkpoint(networks: ["G_X": parts.gA]).load(from: url) }
            #expect(error.kind == .notFound && error.message.contains("has no network 'G_X'; it holds the networks [\"G_A\", \"G_B\", \"D_A\", \"D_B\"]"), "\(error)")
            let single = try #require(throws: MedSynthError.self) { try Checkpoint(network: parts.gA).load(from: url) }
            #expect(single.kind == .notFound, "\(single)")
            let optimizer = try #require(throws: MedSynthError.self) {
                try Checkpoint(networks: ["G_A": parts.gA], optimizers: ["Q": parts.optimizerG]).load(from: url)
            }
            #expect(optimizer.message.contains("has no optimizer 'Q'; it holds [\"D\", \"G\"]"), "\(optimizer)")
        }
    }

    @Test func failedSaveKeepsThePreviousFileAndLeavesNoTemporaryFile() throws {
        let parts = CycleGANParts(seed: 1)
        try withTemporaryFolder { folder in
            let url = folder.appendingPathComponent("latest.h5")
            try parts.checkpoint.save(to: url)
            let previous = try Data(contentsOf: url)
            // An optimizer over unprefixed keys does not belong to the saved (prefixed) networks.
            let unprefixed = Optimizer(parts.gA, learningRate: 1, rule: Adam())
            let bad = Checkpoint(networks: ["G_A": parts.gA, "G_B": parts.gB], optimizers: ["G": unprefixed])
            let error = try #require(throws: MedSynthError.self) { try bad.save(to: url) }
            #expect(error.kind == .invalidArgument && error.subject == url.path)
            #expect(error.message.contains("optimizer 'G' updates 'model.1.weight', which is not a parameter of the saved networks"), "\(error)")
            var state = TrainingState()
            state.strings["huge"] = String(repeating: "x", count: TrainingState.maximumStringBytes + 1)
            #expect(throws: MedSynthError.self) { try parts.checkpoint.save(to: url, trainingState: state) }
            #expect(try Data(contentsOf: url) == previous)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["latest.h5"])
            // A successful save replaces it.
            parts.trainStep(seed: 3)
            try parts.checkpoint.save(to: url)
            #expect(try Data(contentsOf: url) != previous)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["latest.h5"])
        }
    }

    // MARK: - Architectures

    @Test func architectureJSONMatchesTheConverter() throws {
        let resnet = NetworkArchitecture.resnetGenerator(ResnetGeneratorConfig(inputChannels: 1, outputChannels: 1))
        #expect(resnet.json == #"{"class": "ResnetGenerator", "input_nc": 1, "output_nc": 1, "ngf": 64, "norm": "instance", "use_dropout": false, "n_blocks": 9, "padding_type": "reflect"}"#)
        // Arguments left out take the reference defaults, as the converter fills them in.
        #expect(try NetworkArchitecture(json: #"{"class": "ResnetGenerator", "input_nc": 3, "output_nc": 1}"#) ==
                .resnetGenerator(ResnetGeneratorConfig(inputChannels: 3, outputChannels: 1, filters: 64, norm: .batch, blocks: 6)))
        #expect(try NetworkArchitecture(json: #"{"class": "NLayerDiscriminator", "input_nc": 2}"#) ==
                .nLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 2, filters: 64, layers: 3, norm: .batch)))
        let all: [NetworkArchitecture] = [
            resnet,
            .unetGenerator(UnetGeneratorConfig(inputChannels: 1, outputChannels: 2, downsamplings: 7, filters: 4, norm: .none, useDropout: true)),
            .nLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 2, filters: 8, layers: 4, norm: .instance)),
            .pixelDiscriminator(inputChannels: 1, filters: 8, norm: .batch),
            .unetSegmenter(UNetSegmenterConfig(spatialRank: 3, inputChannels: 2, classes: 4, depth: 3, baseWidth: 8, norm: .batch)),
            .other(json: #"{"class": "MyNet", "width": 3}"#),
        ]
        for architecture in all { #expect(try NetworkArchitecture(json: architecture.json) == architecture) }
        var g = SeededGenerator(seed: 1)
        let pixel = try NetworkArchitecture.pixelDiscriminator(inputChannels: 2, filters: 4, norm: .instance).makeModule(generator: &g)
        #expect(NetworkArchitecture(describing: pixel) == .pixelDiscriminator(inputChannels: 2, filters: 4, norm: .instance))

        for (json, expected) in [(#"{"class": "ResnetGenerator", "input_nc": 1, "output_nc": 1, "n_block": 9}"#, "has no argument(s) [\"n_block\"]"),
                                 (#"{"class": "UnetGenerator", "input_nc": 1, "output_nc": 1}"#, "needs 'num_downs'"),
                                 (#"{"class": "NLayerDiscriminator", "input_nc": 1, "norm": "group"}"#, "'norm' is \"group\", expected one of"),
                                 (#"{"input_nc": 1}"#, "not a JSON object with a \"class\" entry"), ("{", "not valid JSON")] {
            let error = try #require(throws: MedSynthError.self) { try NetworkArchitecture(json: json, subject: "x.h5") }
            #expect(error.subject == "x.h5" && error.message.contains(expected), "\(error)")
        }
        let other = NetworkArchitecture.other(json: #"{"class": "MyNet"}"#)
        #expect(throws: MedSynthError.self) { try other.makeModule(generator: &g) }
    }

    // MARK: - PyTorch interop

    /// Checkpoints written by `convert_pth_checkpoint.py to-h5 --optimizer` from PyTorch weights and Adam state
    /// load into MedNN and reproduce PyTorch's output; one more Adam step with a fixed gradient continues exactly
    /// as PyTorch's (same moments, step count and learning rate). The gradient is injected rather than computed
    /// through the network: see `scripts/make_checkpoint_fixtures.py` for why a GAN's real step is too badly
    /// conditioned for a tight comparison.
    @Test(arguments: ["pixel_batch_ndf8_adam", "nlayer3_instance_ndf8_adam"])
    func converterWrittenCheckpointContinuesPyTorchTraining(name: String) throws {
        let url = Fixtures.url("checkpoint/\(name).h5")
        var g = SeededGenerator(seed: 1)
        let (contents, input, expected, after) = try HDF5TestGate.exclusive {
            let contents = try CheckpointContents.read(from: url)
            let file = try HDF5File.open(url)
            func tensor(_ path: String) throws -> Tensor {
                let ds = try file.root.dataset(path)
                return Tensor(try ds.read(as: Float.self), shape: ds.shape)
            }
            var after: [String: Tensor] = [:]
            for child in try file.root.group("fixture/after_step").children() {
                after[child.name] = try tensor("fixture/after_step/\(child.name)")
            }
            return (contents, try tensor("fixture/input"), try tensor("fixture/expected_output"), after)
        }
        let net = try contents.architectures[""]!.makeModule(generator: &g)
        let adam = Optimizer(net, learningRate: 1, rule: Adam(beta1: 0.5, beta2: 0.999))
        try Checkpoint(network: net, optimizer: adam).load(contents)  // in memory: no HDF5
        #expect(contents.convertedFrom == "\(name).pth")
        #expect(adam.learningRate == 2e-4, "the learning rate comes from the optimizer's param group")
        #expect(adam.state().filter { $0.key.hasSuffix(".step") }.allSatisfy { $0.value.item == 2 })

        net.eval()
        let output = withNoGrad { (net as! any UnaryLayer)(input) }
        let difference = Approx.maxAbsDifference(output.scalars, expected.scalars)
        #expect(difference <= 1e-4, "\(name): max |Swift − PyTorch| = \(difference)")

        // The injected gradient of parameter k: 1e-3 · sin(0.37 · i + k), as the fixture script computes it;
        // Σ p·c has gradient c exactly.
        adam.zeroGrad()
        let parameters = net.namedParameters()
        var loss = Tensor(scalar: 0)
        for (index, (_, parameter)) in parameters.enumerated() {
            let gradient = (0..<parameter.value.count).map { Float(1e-3 * Foundation.sin(0.37 * Double($0) + Double(index))) }
            loss = loss + (parameter.value * Tensor(gradient, shape: parameter.shape)).sum()
        }
        loss.backward()
        let before = parameters.map { $0.parameter.value.scalars }
        adam.step()
        #expect(Set(after.keys) == Set(parameters.map(\.key)))
        for ((key, parameter), old) in zip(parameters, before) {
            let torch = try #require(after[key])
            // A wrong step count, β or learning rate moves the update (~2e-4) by a large fraction of itself.
            let stepDifference = Approx.maxAbsDifference(parameter.value.scalars, torch.scalars)
            #expect(stepDifference <= 1e-6, "\(name) \(key) after one more Adam step: max |Swift − PyTorch| = \(stepDifference)")
            #expect(Approx.maxAbsDifference(parameter.value.scalars, old) > 1e-4, "\(key): the step must move the parameter")
        }
    }

    /// Writes Swift checkpoints for `scripts/check_checkpoint_h5py.py` (h5py + PyTorch) into the folder named by
    /// `MEDSYNTH_CHECKPOINT_EXPORT`; skipped without it. Each file holds probe inputs and the Swift outputs in its
    /// training state (`probe_input`, `probe_output_<network>`), so the script can compare PyTorch's outputs.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MEDSYNTH_CHECKPOINT_EXPORT"] != nil))
    func exportForPythonCheck() throws {
        let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["MEDSYNTH_CHECKPOINT_EXPORT"]!)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func probe(_ networks: [(String, Module)], input: Tensor) -> TrainingState {
            var state = TrainingState()
            state.tensors["probe_input"] = input
            for (name, module) in networks {
                module.eval()
                state.tensors["probe_output_\(name.isEmpty ? "net" : name)"] = withNoGrad { (module as! any UnaryLayer)(input) }
                module.train()
            }
            return state
        }
        let parts = CycleGANParts(seed: 5)
        parts.trainStep(seed: 6)
        try HDF5TestGate.exclusive {
            try parts.checkpoint.save(to: folder.appendingPathComponent("cyclegan.h5"),
                                      trainingState: probe(zip(parts.names, parts.networks).map { ($0, $1) }, input: CycleGANParts.input(seed: 7)))
        }
        for kind in [Kind.resnetGenerator, .nLayerDiscriminator, .unetGenerator] {
            let net = kind.make(seed: 8)
            let adam = Optimizer(net, learningRate: 2e-4, rule: Adam(beta1: 0.5))
            for step in 0..<2 { trainStep(net, adam, kind.input(seed: 9 + UInt64(step))) }
            let state = probe([("", net)], input: kind.input(seed: 11))
            try HDF5TestGate.exclusive {
                try Checkpoint(network: net, optimizer: adam).save(to: folder.appendingPathComponent("\(kind.rawValue)_batch.h5"),
                                                                     trainingState: state)
            }
        }
        var g = SeededGenerator(seed: 12)
        let pixel = PixelDiscriminator(inputChannels: 1, filters: 4, norm: .batch, generator: &g)
        let sgd = Optimizer(pixel, learningRate: 0.01, rule: SGD(momentum: 0.9))
        trainStep(pixel, sgd, Kind.resnetGenerator.input(seed: 13))
        let state = probe([("", pixel)], input: Kind.resnetGenerator.input(seed: 14))
        try HDF5TestGate.exclusive {
            try Checkpoint(network: pixel, optimizer: sgd).save(to: folder.appendingPathComponent("pixel_batch_sgd.h5"), trainingState: state)
        }
    }

    // MARK: - Helpers

    /// Two generators and two discriminators wired as CycleGAN's (G_A = G (A→B), G_B = F (B→A), D_A = D_Y judges
    /// B, D_B = D_X judges A), with the reference's two optimizers.
    final class CycleGANParts {
        let gA: ResnetGenerator, gB: ResnetGenerator, dA: NLayerDiscriminator, dB: NLayerDiscriminator
        let optimizerG: Optimizer<Adam>, optimizerD: Optimizer<Adam>
        var names: [String] { ["G_A", "G_B", "D_A", "D_B"] }
        var networks: [Module] { [gA, gB, dA, dB] }
        var checkpoint: Checkpoint {
            Checkpoint(networks: ["G_A": gA, "G_B": gB, "D_A": dA, "D_B": dB], optimizers: ["G": optimizerG, "D": optimizerD],
                       hyperparameters: #"{"lambda_A": 10.0, "pool_size": 50}"#)
        }

        init(seed: UInt64) {
            var g = SeededGenerator(seed: seed)
            let generator = ResnetGeneratorConfig(inputChannels: 1, outputChannels: 1, filters: 4, norm: .instance, blocks: 1)
            let discriminator = NLayerDiscriminatorConfig(inputChannels: 1, filters: 4, layers: 2, norm: .instance)
            gA = ResnetGenerator(generator, generator: &g)
            gB = ResnetGenerator(generator, generator: &g)
            dA = NLayerDiscriminator(discriminator, generator: &g)
            dB = NLayerDiscriminator(discriminator, generator: &g)
            optimizerG = Optimizer(gA.namedParameters(prefix: "G_A") + gB.namedParameters(prefix: "G_B"), learningRate: 2e-4, rule: Adam(beta1: 0.5))
            optimizerD = Optimizer(dA.namedParameters(prefix: "D_A") + dB.namedParameters(prefix: "D_B"), learningRate: 2e-4, rule: Adam(beta1: 0.5))
        }

        static func input(seed: UInt64) -> Tensor {
            var g = SeededGenerator(seed: seed)
            return Tensor.uniform([1, 1, 16, 16], lower: -1, upper: 1, using: &g)
        }

        /// One generator step (cycle loss) and one discriminator step (LSGAN real loss).
        func trainStep(seed: UInt64) {
            let realA = CycleGANParts.input(seed: seed), realB = CycleGANParts.input(seed: seed + 1000)
            optimizerG.zeroGrad()
            (l1Loss(gB(gA(realA)), realA) + l1Loss(gA(gB(realB)), realB)).backward()
            optimizerG.step()
            optimizerD.zeroGrad()
            let (scoreA, scoreB) = (dA(realB), dB(realA))
            (mseLoss(scoreA, Tensor.ones(like: scoreA)) + mseLoss(scoreB, Tensor.ones(like: scoreB))).backward()
            optimizerD.step()
        }
    }

    /// One training step: loss mean((net(x) − 1)²), then the optimizer's update.
    private func trainStep(_ net: Module, _ optimizer: any ParameterOptimizer, _ x: Tensor) {
        optimizer.zeroGrad()
        let y = (net as! any UnaryLayer)(x)
        mseLoss(y, Tensor.ones(like: y)).backward()
        optimizer.step()
    }

    private func resnet(blocks: Int, filters: Int, seed: UInt64) -> ResnetGenerator {
        var g = SeededGenerator(seed: seed)
        return ResnetGenerator(ResnetGeneratorConfig(inputChannels: 1, outputChannels: 1, filters: filters, norm: .batch, blocks: blocks), generator: &g)
    }

    /// Every parameter and buffer as (key, shape, bit patterns), in state_dict order.
    private func bits(_ module: Module) -> [String] {
        module.orderedStateDict().map { "\($0.key) \($0.value.shape) \($0.value.scalars.map(\.bitPattern))" }
    }

    /// The optimizer state as sorted (key, shape, bit patterns).
    private func stateBits(_ optimizer: any ParameterOptimizer) -> [String] {
        optimizer.state().sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.shape) \($0.value.scalars.map(\.bitPattern))" }
    }

    private func outputBits(_ module: Module, _ x: Tensor) -> [UInt32] {
        withNoGrad { (module as! any UnaryLayer)(x) }.scalars.map(\.bitPattern)
    }

    /// Runs `body` with a fresh temporary folder (removed afterwards) inside the HDF5 test gate (which is not
    /// reentrant: `body` must not enter it again).
    private func withTemporaryFolder<T>(_ body: (URL) throws -> T) throws -> T {
        let folder = try Fixtures.temporaryFolder("checkpoint")
        defer { try? FileManager.default.removeItem(at: folder) }
        return try HDF5TestGate.exclusive { try body(folder) }
    }
}
