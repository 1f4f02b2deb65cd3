import Foundation
import MetaLearning
import NeuralNets

/// The network of a checkpoint of any kind and its meta-parameters (the network's parameters and the learned
/// inner rates `innerLearningRate.<key>`), for commands that read a model without training it (`export`).
struct SavedNetwork {
    var network: any Layer
    var metaParameters: Parameters
    var step: Int
    /// `rank1 msr-fc`, `omniglot 5-way 1-shot msr`: the experiment's title.
    var title: String

    /// Reads the checkpoint in `directory`. A regression network is sized by its task family (a data file is
    /// read for its shapes); a few-shot network is the experiment's Conv4.
    init(checkpoint directory: String) throws {
        let url = URL(fileURLWithPath: directory)
        switch try checkpointKind(in: url) {
        case .fewShot:
            let saved = try Checkpoint<FewShotExperiment>(contentsOf: url)
            (network, metaParameters, step, title) = (saved.experiment.training.network, try saved.checkedState().metaParameters, saved.state.step,
                                                      saved.experiment.title)
        case .regression:
            let saved = try Checkpoint<RegressionExperiment>(contentsOf: url)
            var e = saved.experiment
            e.training.testTasks = 1
            let trainer = try e.trainer(threads: 1)
            (network, metaParameters, step, title) = (trainer.model, try saved.state(for: trainer).metaParameters, saved.state.step, e.title)
        }
    }

    /// The learned inner rate of each adapted key that has one: key → α.
    var innerLearningRates: [String: Double] {
        var rates: [String: Double] = [:]
        for key in network.innerParameterKeys where metaParameters.contains(InnerLoop.learningRateKey(key)) {
            rates[key] = metaParameters[InnerLoop.learningRateKey(key)].item
        }
        return rates
    }
}
