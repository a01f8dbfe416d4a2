import MedCore
import Testing
@testable import MedTensor

/// The whole stack together: a small convolutional model fitted with hand-written gradient descent.
@Suite struct TrainingLoopTests {
    @Test func gradientDescentFitsASmallConvolutionalModel() {
        var g = SeededGenerator(seed: 200)
        let input = Tensor.randn([2, 1, 12, 12], using: &g)
        // The target comes from a fixed "teacher" with the same architecture.
        func model(_ x: Tensor, _ w1: Tensor, _ b1: Tensor, _ w2: Tensor) -> Tensor {
            x.padded(1, mode: .reflect).conv2d(weight: w1, bias: b1)
                .instanceNorm(activation: .leakyRelu(slope: 0.2))
                .conv2d(weight: w2, stride: 2, padding: 1).tanh()
        }
        let target = model(input, Tensor.randn([4, 1, 3, 3], std: 0.5, using: &g), Tensor.randn([4], using: &g),
                           Tensor.randn([1, 4, 3, 3], std: 0.5, using: &g))
        var parameters = [Tensor.randn([4, 1, 3, 3], std: 0.5, using: &g), Tensor.zeros([4]),
                          Tensor.randn([1, 4, 3, 3], std: 0.5, using: &g)].map { $0.requiringGrad() }
        var losses: [Float] = []
        for _ in 0..<150 {
            let loss = mseLoss(model(input, parameters[0], parameters[1], parameters[2]), target)
            losses.append(loss.item)
            loss.backward()
            withNoGrad {
                for i in parameters.indices {
                    let grad = parameters[i].grad!.scalars
                    parameters[i].withUnsafeMutableBufferPointer { p in
                        for j in p.indices { p[j] -= 0.5 * grad[j] }
                    }
                    parameters[i].zeroGrad()
                }
            }
        }
        #expect(parameters.allSatisfy { $0.isLeaf && $0.grad == nil })
        #expect(losses.last! < losses.first! / 10, "loss went from \(losses.first!) to \(losses.last!)")
    }
}
