import ArgumentParser
import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Tensors

extension MSR {
    /// `msr export`: a checkpoint's learned parameters as a file another framework reads.
    struct Export: ParsableCommand {
        /// What `export` writes.
        enum Format: String, CaseIterable, ExpressibleByArgument {
            /// A safetensors file with the PyTorch reference code's parameter names and shapes.
            case torchReference = "torch-reference"
        }

        static let configuration = CommandConfiguration(
            abstract: "Write a checkpoint's learned parameters under the PyTorch reference code's names and shapes.",
            discussion: """
            torch-reference: a safetensors file holding the state_dict of the equivalent torch.nn module, no optimiser
            state: MSR-FC as nn.Sequential(ShareLinearFull(70, 68, bias=False, latent_size=K)) (0.warp, 0.latent_params),
            MSR-Conv as nn.Sequential(ShareConv2d(…)) (0.weight, 0.A_warp, 0.B_warp, 0.C_warp), baselines as torch.nn
            layers, few-shot Conv4 as nn.Sequential of block1 … block4 (conv, norm = BatchNorm2d without running
            statistics, relu, pool), flatten, head. Metadata: the module as a Python expression (torch_module), the
            learned inner rates (<name>_lr, as the reference's InnerOptBuilder names them) and the checkpoint's step.
            Load it with safetensors.torch.load_file and module.load_state_dict(…, strict=True).
            """)

        @Option(help: "A directory written by `msr train --checkpoint`.")
        var checkpoint: String

        @Option(help: "Output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: Format = .torchReference

        @Argument(help: "The file to write (OUT.safetensors).")
        var output: String

        func run() throws {
            let saved = try SavedNetwork(checkpoint: checkpoint)
            let file = try TorchReferenceExport(saved)
            try file.safeTensors.write(to: URL(fileURLWithPath: output))
            print("\(saved.title) after \(saved.step) steps → \(output) (\(format.rawValue)):")
            for e in file.layout.entries { print("  \(e.name) \(e.shape)") }
            if !file.rates.isEmpty {
                print("  inner rates: " + file.rates.map { "\($0.name)_lr = \(String(format: "%.4g", $0.rate))" }.joined(separator: ", "))
            }
            print("  module: \(file.layout.module)")
        }
    }
}

/// A checkpoint's network in the reference layout (`TorchReferenceLayout`) as a safetensors file: the
/// network's parameters under their reference names and shapes, and metadata `format`
/// (`msr-torch-reference-1`), `torch_module`, `title`, `step`, and `<name>_lr` for each learned inner rate
/// (the reference's `InnerOptBuilder` calls the rate of parameter `name` `f"{name}_lr"`).
struct TorchReferenceExport {
    static let format = "msr-torch-reference-1"

    var layout: TorchReferenceLayout
    var rates: [(name: String, rate: Double)]
    var safeTensors: SafeTensors

    init(_ saved: SavedNetwork) throws {
        let layout = try TorchReferenceLayout(of: saved.network)
        let tensors = try layout.exported(saved.metaParameters, ignoring: { $0.hasPrefix(InnerLoop.learningRateKey("")) })
        let rates = saved.innerLearningRates.compactMap { key, rate in layout.name(ofKey: key).map { (name: $0, rate: rate) } }.sorted { $0.name < $1.name }
        (self.layout, self.rates) = (layout, rates)
        var metadata = ["format": Self.format, "torch_module": layout.module, "title": saved.title, "step": String(saved.step)]
        for (name, rate) in rates { metadata[name + "_lr"] = "\(rate)" }
        safeTensors = SafeTensors(tensors: tensors, metadata: metadata)
    }
}
