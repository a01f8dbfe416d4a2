// The lesion-weighted L1 term of the paired translators (issue 20, item 6). A CT→FLAIR translator trained with
// pix2pix's plain L1 renders the FLAIR-bright lesions at white-matter level: lesions are a fraction of a percent
// of the voxels, so their error barely moves the mean. Weighting each voxel's absolute error by
// 1 + w·[its label is a lesion label] makes a lesion voxel count 1 + w times:
//
//   L = (1/n) · Σᵢ (1 + w·[labelᵢ ∈ lesionLabels]) · |predictionᵢ − targetᵢ|     (n: every voxel of the batch)
//
// Divided by the voxel count, not by the sum of the weights, so that healthy voxels keep their plain L1 weight
// and λ_L1 keeps its meaning. Built from existing differentiable ops (sub, abs, a constant mul, mean), so it needs
// no backward of its own; with w = 0 it is `l1Loss` itself (the fused kernel), so weight-0 runs are byte-identical
// to runs from before the term existed.
import MedCore
import MedTensor

/// L1 with lesion voxels weighted up: mean over voxels of (1 + `weight`·[label ∈ `lesionLabels`])·|p − t|.
///
/// ```swift
/// let l1 = LesionWeightedL1(weight: 20, lesionLabels: [10, 11, 12, 13])
/// let loss = l1(fakeB, realB, labels: batch.labels)   // labels [N, 1, H, W], label values
/// ```
public struct LesionWeightedL1: Equatable, Sendable {
    /// The extra weight w of a lesion voxel (0: plain L1).
    public var weight: Float
    /// The label values that count as lesion (the phantom's: 10 whole lesion, 11–13 BraTS-like sub-regions).
    public var lesionLabels: [Int]

    /// The phantom's lesion labels, the default of every options type.
    public static let phantomLesionLabels = [10, 11, 12, 13]
    /// Plain L1 (weight 0).
    public static let unweighted = LesionWeightedL1(weight: 0, lesionLabels: phantomLesionLabels)

    /// A term with lesion weight `weight` over the labels `lesionLabels`.
    public init(weight: Float, lesionLabels: [Int]) {
        self.weight = weight
        self.lesionLabels = lesionLabels
    }

    /// Whether lesion voxels weigh more than others (the term then needs the batches' label maps).
    public var isWeighted: Bool { weight > 0 }

    /// The per-voxel weights 1 + w·[label ∈ lesionLabels], a constant (no gradient).
    /// - Parameter labels: label values, any shape ([N, 1, H, W] for a batch).
    /// - Returns: a tensor of `labels`' shape.
    public func voxelWeights(labels: Tensor) -> Tensor {
        let lesion = Set(lesionLabels.map(Float.init))
        let heavy = 1 + weight
        return Tensor(labels.scalars.map { lesion.contains($0.rounded()) ? heavy : 1 }, shape: labels.shape)
    }

    /// The term for `prediction` against `target`: `l1Loss` when the weight is 0, else
    /// mean((1 + w·[label ∈ lesionLabels]) · |prediction − target|), the weights broadcast over channels.
    /// - Parameters:
    ///   - prediction: [N, C, H, W].
    ///   - target: the same shape.
    ///   - labels: [N, 1, H, W] label values of the pair (ignored, and may be nil, when the weight is 0).
    /// - Returns: a rank-0 tensor.
    /// - Precondition: with a weight > 0, `labels` is given with N, H, W of `prediction` (a run checks that its
    ///   data carries label maps before the first step).
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor, labels: Tensor?) -> Tensor {
        guard isWeighted else { return l1Loss(prediction, target) }
        guard let labels else {
            preconditionFailure("the lesion-weighted L1 (weight \(weight)) needs the batch's label maps; the batch has none")
        }
        let (p, l) = (prediction.shape, labels.shape)
        precondition(l.count == 4 && p.count == 4 && l[1] == 1 && l[0] == p[0] && l[2...] == p[2...],
                     "lesion-weighted L1 needs labels [N, 1, H, W] for a prediction \(p), got \(l)")
        return ((prediction - target).abs() * voxelWeights(labels: labels)).mean()
    }

    /// Checks the weight and the labels; errors name `<prefix>lesionL1Weight` or `<prefix>lesionLabels`.
    /// - Throws: `MedSynthError(.invalidArgument)`: a weight that is not finite or is outside 0…10000, a label
    ///   outside 1…65535 (0 is the background) or listed twice, no labels with a weight > 0.
    public func validate(prefix: String = "") throws {
        guard weight.isFinite && (0...10_000).contains(weight) else {
            throw MedSynthError(.invalidArgument, "\(prefix)lesionL1Weight",
                                "must be finite and in 0...10000 (0: plain L1; w: lesion voxels count 1 + w times), got \(weight)")
        }
        for l in lesionLabels where !(1...65535).contains(l) {
            throw MedSynthError(.invalidArgument, "\(prefix)lesionLabels", "must hold label values in 1...65535 (0 is the background), got \(l)")
        }
        guard Set(lesionLabels).count == lesionLabels.count else {
            throw MedSynthError(.invalidArgument, "\(prefix)lesionLabels", "must list each label value once, got \(lesionLabels)")
        }
        guard !isWeighted || !lesionLabels.isEmpty else {
            throw MedSynthError(.invalidArgument, "\(prefix)lesionLabels",
                                "must list the lesions' label values (the phantom's: [10, 11, 12, 13]) when lesionL1Weight is \(weight), got []")
        }
    }
}

/// Options that carry the two lesion-L1 settings (`network.lesionL1Weight`, `network.lesionLabels`): their L1 term
/// is `lesionL1` (pix2pix, the conditional GAN, regression).
public protocol LesionL1Settings {
    var lesionL1Weight: Float { get }
    var lesionLabels: [Int] { get }
}

extension LesionL1Settings {
    /// The L1 term: `lesionL1Weight` over `lesionLabels`.
    public var lesionL1: LesionWeightedL1 { LesionWeightedL1(weight: lesionL1Weight, lesionLabels: lesionLabels) }
}
