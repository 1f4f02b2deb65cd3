extension NetworkDescription {
    /// Conv4 and MSR-Conv4 (`Conv4`) as a description, with `Conv4`'s keys, draws, outputs and inner keys:
    /// four blocks of
    ///
    ///     conv2d (or msr-conv2d) 3×3, padding 1, bias → batch-norm → relu → max-pool 2
    ///
    /// named `blockᵢ.conv` and `blockᵢ.norm`, then a flatten and, unless `ways` is nil, a `linear` named
    /// `head`. `kroneckerTerms` is r of every MSR-Conv block. `innerParameters` becomes the layers' `adapt`: all of them, the head only (ANIL) or none.
    /// The input channels and image size come from the input shape (C, S, S) the network is built for.
    public static func conv4(width: Int = 64, ways: Int?, convolution: Conv4.Convolution = .standard,
                             innerParameters: Conv4.InnerParameters = .allButSymmetry, kroneckerTerms: Int = 1) -> NetworkDescription {
        let body = innerParameters == .allButSymmetry, head = innerParameters != .none
        let conv = LayerDescription.Convolution(channels: width, kernel: .init(square: 3), padding: .init(square: 1))
        var layers: [LayerDescription] = []
        for i in 1...Conv4.blockCount {
            let block = Conv4.blockName(i)
            layers.append(LayerDescription(convolution == .standard ? .conv2d(conv) : .symmetricConv2d(conv, terms: kroneckerTerms), name: block + ".conv", adapt: body))
            layers.append(LayerDescription(.batchNorm, name: block + ".norm", adapt: body))
            layers.append(LayerDescription(.relu))
            layers.append(LayerDescription(.maxPool(kernel: .init(square: 2), stride: nil)))
        }
        layers.append(LayerDescription(.flatten))
        if let ways { layers.append(LayerDescription(.linear(outputs: ways, bias: true), name: "head", adapt: head)) }
        return NetworkDescription(layers: layers)
    }
}
