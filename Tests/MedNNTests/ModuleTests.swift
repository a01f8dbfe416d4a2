import MedCore
import MedTensor
import Testing
@testable import MedNN

/// A module exercising every kind of member reflection must find.
private final class Toy: Module, UnaryLayer {
    let scale = Parameter(Tensor.ones([2]))
    let counter = Buffer(Tensor(scalar: 0))
    let missing: Parameter? = nil
    let shift: Parameter? = Parameter(Tensor.zeros([2]))
    let blocks: [Linear]
    let head: Sequential
    let notState = Tensor.zeros([3])
    let numbers: [Float] = [1, 2, 3]

    override var stateKeyNames: [String: String] { ["blocks": "block_list"] }

    init(generator: inout SeededGenerator) {
        blocks = [Linear(inputFeatures: 2, outputFeatures: 3, generator: &generator),
                  Linear(inputFeatures: 3, outputFeatures: 2, bias: false, generator: &generator)]
        head = Sequential([ReLU(), BatchNorm(channels: 2), Dropout(generator: &generator)])
    }

    func callAsFunction(_ x: Tensor) -> Tensor { x }
}

@Suite struct ModuleTests {
    @Test func reflectionFindsParametersBuffersAndChildrenInOrder() {
        var g = SeededGenerator(seed: 1)
        let toy = Toy(generator: &g)
        let parameters = toy.namedParameters()
        #expect(parameters.map(\.key) == ["scale", "shift", "block_list.0.weight", "block_list.0.bias",
                                          "block_list.1.weight", "head.1.weight", "head.1.bias"])
        #expect(parameters.map(\.parameter.shape) == [[2], [2], [3, 2], [3], [2, 3], [2], [2]])
        #expect(toy.namedBuffers().map(\.key) == ["counter", "head.1.running_mean", "head.1.running_var",
                                                  "head.1.num_batches_tracked"])
        #expect(toy.namedModules().map(\.key) == ["", "block_list.0", "block_list.1", "head", "head.0", "head.1", "head.2"])
        #expect(toy.parameterCount == 2 + 2 + 6 + 3 + 6 + 2 + 2)
        #expect(toy.namedParameters(prefix: "G_A").first?.key == "G_A.scale")
        #expect(toy.orderedStateDict().map(\.key) == ["scale", "shift", "counter", "block_list.0.weight",
                                                      "block_list.0.bias", "block_list.1.weight", "head.1.weight",
                                                      "head.1.bias", "head.1.running_mean", "head.1.running_var",
                                                      "head.1.num_batches_tracked"])
    }

    @Test func trainAndEvalReachEveryModule() {
        var g = SeededGenerator(seed: 2)
        let toy = Toy(generator: &g)
        #expect(toy.namedModules().allSatisfy { $0.module.isTraining })
        toy.eval()
        #expect(toy.namedModules().allSatisfy { !$0.module.isTraining })
        toy.head.train()
        #expect(!toy.isTraining && toy.head.layers.allSatisfy { $0.isTraining })
    }

    @Test func stateDictRoundTripsIntoAFreshModule() throws {
        var g = SeededGenerator(seed: 3)
        let a = Toy(generator: &g), b = Toy(generator: &g)
        a.head.layers[1].isTraining = true
        _ = a.head(randomTensor([4, 2, 3, 3], seed: 4))  // moves a's running statistics
        #expect(a.stateDict()["head.1.num_batches_tracked"]?.item == 1)
        #expect(a.stateDict()["block_list.0.weight"]?.scalars != b.stateDict()["block_list.0.weight"]?.scalars)
        try b.loadStateDict(a.stateDict())
        for (key, tensor) in a.stateDict() {
            #expect(b.stateDict()[key]?.scalars == tensor.scalars, "\(key)")
        }
        #expect(b.parameters().allSatisfy { $0.value.isLeaf && $0.grad == nil })
    }

    @Test func strictLoadNamesMissingAndUnexpectedKeys() {
        var g = SeededGenerator(seed: 5)
        let toy = Toy(generator: &g)
        var state = toy.stateDict()
        state["scale"] = nil
        state["extra.weight"] = Tensor.zeros([1])
        do {
            try toy.loadStateDict(state)
            Issue.record("expected an error")
        } catch let error as MedSynthError {
            #expect(error.kind == .mismatch)
            #expect(error.message.contains("missing keys [\"scale\"]"))
            #expect(error.message.contains("unexpected keys [\"extra.weight\"]"))
        } catch { Issue.record("unexpected error \(error)") }
        // Non-strict loading ignores both and loads the rest.
        state["shift"] = Tensor([5, 6])
        #expect(throws: Never.self) { try toy.loadStateDict(state, strict: false) }
        #expect(toy.shift!.value.scalars == [5, 6])
    }

    @Test func shapeMismatchIsAnErrorAndChangesNothing() {
        var g = SeededGenerator(seed: 6)
        let toy = Toy(generator: &g)
        let before = toy.blocks[0].weight.value.scalars
        var state = toy.stateDict()
        state["block_list.0.weight"] = Tensor.zeros([2, 3])
        state["scale"] = Tensor([9, 9])
        do {
            try toy.loadStateDict(state)
            Issue.record("expected an error")
        } catch let error as MedSynthError {
            #expect(error.subject == "block_list.0.weight")
            #expect(error.message.contains("[2, 3]") && error.message.contains("[3, 2]"))
        } catch { Issue.record("unexpected error \(error)") }
        #expect(toy.blocks[0].weight.value.scalars == before)
        #expect(toy.scale.value.scalars == [1, 1])
    }

    @Test func zeroGradClearsEveryGradient() {
        var g = SeededGenerator(seed: 7)
        let layer = Linear(inputFeatures: 3, outputFeatures: 2, generator: &g)
        layer(randomTensor([4, 3], seed: 8)).sum().backward()
        #expect(layer.parameters().allSatisfy { $0.grad != nil })
        layer.zeroGrad()
        #expect(layer.parameters().allSatisfy { $0.grad == nil })
    }
}
