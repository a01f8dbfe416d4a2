import MedCore
import MedTensor

/// What network a checkpoint's weights belong to: the class and every constructor argument, as the checkpoint's
/// `architecture` attribute records it (docs/CHECKPOINT_FORMAT.md).
///
/// The four reference classes use the argument names of pytorch-CycleGAN-and-pix2pix's `models/networks.py`
/// (`{"class": "ResnetGenerator", "input_nc": 1, "output_nc": 1, "ngf": 64, "norm": "instance", …}`), so
/// `scripts/convert_pth_checkpoint.py` builds the same network in PyTorch; `UNetSegmenter` is MedSynth's own.
/// `makeModule(generator:)` builds the network a checkpoint describes (what `translate` needs: no code has to
/// know the architecture in advance).
public enum NetworkArchitecture: Equatable, Sendable {
    /// The reference ResNet generator.
    case resnetGenerator(ResnetGeneratorConfig)
    /// The reference U-Net generator.
    case unetGenerator(UnetGeneratorConfig)
    /// The reference PatchGAN discriminator.
    case nLayerDiscriminator(NLayerDiscriminatorConfig)
    /// The reference 1×1 PatchGAN (pixel discriminator).
    case pixelDiscriminator(inputChannels: Int, filters: Int, norm: NormalizationKind)
    /// MedSynth's 2-D/3-D U-Net segmenter.
    case unetSegmenter(UNetSegmenterConfig)
    /// Any other module: the JSON object as stored (it has at least a `"class"` entry). Its weights load into a
    /// module the caller builds; `makeModule` cannot build it.
    case other(json: String)

    // MARK: - From a module

    /// The architecture of a network built by MedNN (read from its configuration), or `.other` with the
    /// module's type name for modules MedNN cannot rebuild.
    public init(describing module: Module) {
        switch module {
        case let net as ResnetGenerator: self = .resnetGenerator(net.config)
        case let net as UnetGenerator: self = .unetGenerator(net.config)
        case let net as NLayerDiscriminator: self = .nLayerDiscriminator(net.config)
        case let net as UNetSegmenter: self = .unetSegmenter(net.config)
        case let net as PixelDiscriminator:
            // The pixel discriminator keeps no configuration: its first convolution gives [ndf, in, 1, 1], the
            // layer at index 3 the normalisation.
            let first = net.net.layers[0] as! Conv
            let norm: NormalizationKind = net.net.layers[3] is BatchNorm ? .batch : net.net.layers[3] is InstanceNorm ? .instance : .none
            self = .pixelDiscriminator(inputChannels: first.weight.shape[1], filters: first.weight.shape[0], norm: norm)
        default:
            self = .other(json: CheckpointJSON.object([("class", .string(String(describing: type(of: module))))]).text)
        }
    }

    // MARK: - Building

    /// The class name (`"ResnetGenerator"`, …; for `.other`, its `"class"` entry).
    public var className: String {
        switch self {
        case .resnetGenerator: return "ResnetGenerator"
        case .unetGenerator: return "UnetGenerator"
        case .nLayerDiscriminator: return "NLayerDiscriminator"
        case .pixelDiscriminator: return "PixelDiscriminator"
        case .unetSegmenter: return "UNetSegmenter"
        case .other(let json):
            if case .string(let name)? = (try? CheckpointJSON.parse(json, subject: "", what: ""))?["class"] { return name }
            return "unknown"
        }
    }

    /// A freshly initialised network of this architecture (load the checkpoint's weights into it next).
    /// - Parameter generator: the source of the initial values (and of dropout streams).
    /// - Throws: `MedSynthError(.unsupported)` for `.other` architectures, naming the class.
    public func makeModule(generator: inout SeededGenerator) throws -> Module {
        switch self {
        case .resnetGenerator(let config): return ResnetGenerator(config, generator: &generator)
        case .unetGenerator(let config): return UnetGenerator(config, generator: &generator)
        case .nLayerDiscriminator(let config): return NLayerDiscriminator(config, generator: &generator)
        case .unetSegmenter(let config): return UNetSegmenter(config, generator: &generator)
        case let .pixelDiscriminator(inputChannels, filters, norm):
            return PixelDiscriminator(inputChannels: inputChannels, filters: filters, norm: norm, generator: &generator)
        case .other:
            throw MedSynthError(.unsupported, "architecture",
                                "MedNN cannot build a '\(className)'; build the module yourself and load the weights into it")
        }
    }

    // MARK: - JSON

    /// The JSON object the `architecture` attribute holds, every argument written out.
    public var json: String { jsonValue.text }

    /// The JSON object as a value, arguments in constructor order.
    var jsonValue: CheckpointJSON {
        switch self {
        case .resnetGenerator(let c):
            return .object([("class", .string(className)), ("input_nc", .int(c.inputChannels)),
                            ("output_nc", .int(c.outputChannels)), ("ngf", .int(c.filters)),
                            ("norm", .string(c.norm.rawValue)), ("use_dropout", .bool(c.useDropout)),
                            ("n_blocks", .int(c.blocks)), ("padding_type", .string(c.paddingMode.rawValue))])
        case .unetGenerator(let c):
            return .object([("class", .string(className)), ("input_nc", .int(c.inputChannels)),
                            ("output_nc", .int(c.outputChannels)), ("num_downs", .int(c.downsamplings)),
                            ("ngf", .int(c.filters)), ("norm", .string(c.norm.rawValue)),
                            ("use_dropout", .bool(c.useDropout))])
        case .nLayerDiscriminator(let c):
            return .object([("class", .string(className)), ("input_nc", .int(c.inputChannels)), ("ndf", .int(c.filters)),
                            ("n_layers", .int(c.layers)), ("norm", .string(c.norm.rawValue))])
        case let .pixelDiscriminator(inputChannels, filters, norm):
            return .object([("class", .string(className)), ("input_nc", .int(inputChannels)), ("ndf", .int(filters)),
                            ("norm", .string(norm.rawValue))])
        case .unetSegmenter(let c):
            return .object([("class", .string(className)), ("spatial_rank", .int(c.spatialRank)),
                            ("input_nc", .int(c.inputChannels)), ("classes", .int(c.classes)), ("depth", .int(c.depth)),
                            ("base_width", .int(c.baseWidth)), ("norm", .string(c.norm.rawValue))])
        case .other(let json):
            return (try? CheckpointJSON.parse(json, subject: "", what: "")) ?? .object([("class", .string("unknown"))])
        }
    }

    /// Reads an `architecture` JSON object. Arguments left out take the reference defaults (as the converter
    /// fills them in: `norm` "batch", `ngf`/`ndf` 64, `n_blocks` 6, `n_layers` 3, …); classes MedNN does not know
    /// become `.other`.
    /// - Parameters:
    ///   - json: the JSON text.
    ///   - subject: the file the text comes from, for errors.
    /// - Throws: `MedSynthError(.corrupt)` naming `subject` for invalid JSON, a missing `"class"`, an unknown or
    ///   missing argument, or a value of the wrong type or out of range, quoting it.
    public init(json: String, subject: String = "architecture") throws {
        let value = try CheckpointJSON.parse(json, subject: subject, what: "attribute 'architecture'")
        try self.init(value, subject: subject)
    }

    /// Reads a parsed `architecture` object (see `init(json:subject:)`).
    init(_ value: CheckpointJSON, subject: String) throws {
        guard let members = value.objectMembers, case .string(let name)? = value["class"] else {
            throw MedSynthError(.corrupt, subject,
                                "architecture \(CheckpointJSON.excerpt(value.text)) is not a JSON object with a \"class\" entry")
        }
        var arguments = ArchitectureArguments(className: name, members: members, subject: subject)
        switch name {
        case "ResnetGenerator":
            let config = ResnetGeneratorConfig(
                inputChannels: try arguments.int("input_nc"), outputChannels: try arguments.int("output_nc"),
                filters: try arguments.int("ngf", default: 64), norm: try arguments.norm(),
                useDropout: try arguments.bool("use_dropout", default: false),
                blocks: try arguments.int("n_blocks", default: 6, minimum: 0),
                paddingMode: try arguments.padding("padding_type", default: .reflect))
            self = .resnetGenerator(config)
        case "UnetGenerator":
            let config = UnetGeneratorConfig(
                inputChannels: try arguments.int("input_nc"), outputChannels: try arguments.int("output_nc"),
                downsamplings: try arguments.int("num_downs", minimum: 5), filters: try arguments.int("ngf", default: 64),
                norm: try arguments.norm(), useDropout: try arguments.bool("use_dropout", default: false))
            self = .unetGenerator(config)
        case "NLayerDiscriminator":
            let config = NLayerDiscriminatorConfig(
                inputChannels: try arguments.int("input_nc"), filters: try arguments.int("ndf", default: 64),
                layers: try arguments.int("n_layers", default: 3), norm: try arguments.norm())
            self = .nLayerDiscriminator(config)
        case "PixelDiscriminator":
            self = .pixelDiscriminator(inputChannels: try arguments.int("input_nc"),
                                       filters: try arguments.int("ndf", default: 64), norm: try arguments.norm())
        case "UNetSegmenter":
            let rank = try arguments.int("spatial_rank", default: 2)
            guard rank == 2 || rank == 3 else {
                throw MedSynthError(.corrupt, subject, "architecture UNetSegmenter: spatial_rank is \(rank), expected 2 or 3")
            }
            let config = UNetSegmenterConfig(
                spatialRank: rank, inputChannels: try arguments.int("input_nc"), classes: try arguments.int("classes"),
                depth: try arguments.int("depth", default: 4, minimum: 0),
                baseWidth: try arguments.int("base_width", default: 32), norm: try arguments.norm(default: .instance))
            self = .unetSegmenter(config)
        default:
            self = .other(json: value.text)
            return
        }
        try arguments.checkAllUsed()
    }
}

/// Reads the arguments of one architecture object, remembering which were used so that unknown ones are refused.
private struct ArchitectureArguments {
    let className: String
    let members: [(key: String, value: CheckpointJSON)]
    let subject: String
    var used: Set<String> = ["class"]

    init(className: String, members: [(key: String, value: CheckpointJSON)], subject: String) {
        self.className = className
        self.members = members
        self.subject = subject
    }

    private func error(_ message: String) -> MedSynthError {
        MedSynthError(.corrupt, subject, "architecture \(className): \(message)")
    }

    private mutating func value(_ key: String) -> CheckpointJSON? {
        used.insert(key)
        return members.first { $0.key == key }?.value
    }

    /// An integer argument ≥ `minimum` (1 unless given); `default` nil means required.
    mutating func int(_ key: String, default fallback: Int? = nil, minimum: Int = 1) throws -> Int {
        let found: Int
        switch value(key) {
        case nil:
            guard let fallback else { throw error("needs '\(key)'") }
            return fallback
        case .int(let i)?: found = i
        case .double(let d)? where d == d.rounded() && abs(d) < 1e15: found = Int(d)
        case let other?: throw error("'\(key)' is \(other.text), expected an integer")
        }
        guard found >= minimum else { throw error("'\(key)' is \(found), expected at least \(minimum)") }
        return found
    }

    /// A boolean argument.
    mutating func bool(_ key: String, default fallback: Bool) throws -> Bool {
        switch value(key) {
        case nil: return fallback
        case .bool(let b)?: return b
        case let other?: throw error("'\(key)' is \(other.text), expected true or false")
        }
    }

    /// A string argument among `allowed` raw values.
    private mutating func choice(_ key: String, allowed: [String]) throws -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let s)? where allowed.contains(s): return s
        case let other?: throw error("'\(key)' is \(other.text), expected one of \(allowed)")
        }
    }

    /// `norm`: "batch", "instance" or "none"; the reference default is "batch".
    mutating func norm(default fallback: NormalizationKind = .batch) throws -> NormalizationKind {
        try choice("norm", allowed: NormalizationKind.allCases.map(\.rawValue)).flatMap(NormalizationKind.init(rawValue:)) ?? fallback
    }

    /// A padding mode: "reflect", "replicate" or "zero".
    mutating func padding(_ key: String, default fallback: PaddingMode) throws -> PaddingMode {
        try choice(key, allowed: PaddingMode.allCases.map(\.rawValue)).flatMap(PaddingMode.init(rawValue:)) ?? fallback
    }

    /// Refuses arguments the class does not have.
    func checkAllUsed() throws {
        let unknown = members.map(\.key).filter { !used.contains($0) }
        guard unknown.isEmpty else {
            throw error("has no argument(s) \(unknown); arguments: \(used.subtracting(["class"]).sorted())")
        }
    }
}
