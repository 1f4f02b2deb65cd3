/// Sliding-window operations: unfold (im2col) and its adjoint fold, convolutions built on them, pooling.
///
/// Letters: N batch, C input channels, D output channels, H×W input size, kh×kw kernel, oh×ow output
/// size, L = oh·ow window positions, K = C·kh·kw window size.
extension Tensor {
    /// Checks a window over an (N, C, H, W) input and returns its geometry.
    public static func windowGeometry(input: [Int], kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int),
                                      op: String) throws -> WindowGeometry {
        guard input.count == 4 else {
            throw TensorError.invalidShape(op: op, shape: input, detail: "expected (N, C, H, W)")
        }
        guard kernel.0 > 0, kernel.1 > 0, stride.0 > 0, stride.1 > 0, padding.0 >= 0, padding.1 >= 0 else {
            throw TensorError.invalidArgument(op: op, detail: "kernel \(kernel) and stride \(stride) must be positive, padding \(padding) ≥ 0")
        }
        let g = WindowGeometry(height: input[2], width: input[3], kernelHeight: kernel.0, kernelWidth: kernel.1,
                               strideY: stride.0, strideX: stride.1, padY: padding.0, padX: padding.1)
        guard input[2] + 2 * padding.0 >= kernel.0, input[3] + 2 * padding.1 >= kernel.1 else {
            throw TensorError.shapeMismatch(op: op, lhs: input, rhs: [kernel.0, kernel.1],
                detail: "input \(input[2])×\(input[3]) with padding \(padding) is smaller than the kernel \(kernel.0)×\(kernel.1)")
        }
        return g
    }

    /// im2col: (N, C, H, W) → (N, C·kh·kw, oh·ow), as PyTorch's `F.unfold`. Backward: `folded`.
    public func unfolded(kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0)) -> Tensor {
        let g = mustSucceed { try Tensor.windowGeometry(input: shape, kernel: kernel, stride: stride, padding: padding, op: "unfold") }
        return unfolded(g)
    }

    func unfolded(_ g: WindowGeometry) -> Tensor {
        let (n, c) = (shape[0], shape[1])
        let k = c * g.kernelHeight * g.kernelWidth, l = g.outHeight * g.outWidth
        let image = c * g.height * g.width
        func run<T: FloatingPoint>(_ x: UnsafeBufferPointer<T>, _ out: UnsafeMutableBufferPointer<T>) {
            // Images are independent: split them across the intra-op threads.
            IntraOp.forEachRange(items: n, parts: IntraOp.parts(items: n, work: n * k * l)) { images in
                for i in images { im2col(x.baseAddress! + i * image, channels: c, g, into: out.baseAddress! + i * k * l) }
            }
        }
        let storage = self.storage.transform(count: n * k * l, run, run)
        return Tensor.record("unfold", shape: [n, k, l], storage: storage, inputs: [self]) { grad, _ in
            [grad.folded(g, channels: c)]
        }
    }

    /// col2im, the adjoint of `unfolded`: (N, C·kh·kw, oh·ow) → (N, C, H, W), summing overlapping windows.
    public func folded(outputSize: (Int, Int), kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                       padding: (Int, Int) = (0, 0)) -> Tensor {
        precondition(rank == 3, "fold: expected (N, C·kh·kw, L), got \(shape)")
        let channels = shape[1] / (kernel.0 * kernel.1)
        let g = mustSucceed {
            try Tensor.windowGeometry(input: [shape[0], channels, outputSize.0, outputSize.1], kernel: kernel,
                                      stride: stride, padding: padding, op: "fold")
        }
        guard channels * kernel.0 * kernel.1 == shape[1], g.outHeight * g.outWidth == shape[2] else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "fold", lhs: shape, rhs: [outputSize.0, outputSize.1], detail: "columns do not match the window geometry"))")
        }
        return folded(g, channels: channels)
    }

    func folded(_ g: WindowGeometry, channels c: Int) -> Tensor {
        let n = shape[0]
        let k = shape[1], l = shape[2]
        let image = c * g.height * g.width
        func run<T: FloatingPoint>(_ cols: UnsafeBufferPointer<T>, _ out: UnsafeMutableBufferPointer<T>) {
            IntraOp.forEachRange(items: n, parts: IntraOp.parts(items: n, work: n * k * l)) { images in
                for i in images { col2im(cols.baseAddress! + i * k * l, channels: c, g, into: out.baseAddress! + i * image) }
            }
        }
        let storage = self.storage.transformIntoZeros(count: n * image, run, run)
        return Tensor.record("fold", shape: [n, c, g.height, g.width], storage: storage, inputs: [self]) { grad, _ in
            [grad.unfolded(g)]
        }
    }

    /// 2-D cross-correlation (PyTorch's `conv2d`): x (N, C, H, W), weight (D, C, kh, kw), bias (D) →
    /// (N, D, oh, ow). Computed as weight (D, K) · unfold(x) (N, K, L).
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0)) -> Tensor {
        let g = mustSucceed { () throws -> WindowGeometry in
            guard weight.rank == 4, x.rank == 4, weight.shape[1] == x.shape[1] else {
                throw TensorError.shapeMismatch(op: "conv2d", lhs: x.shape, rhs: weight.shape,
                    detail: "expected input (N, C, H, W) and weight (D, C, kh, kw) with equal C")
            }
            if let bias, bias.shape != [weight.shape[0]] {
                throw TensorError.shapeMismatch(op: "conv2d", lhs: weight.shape, rhs: bias.shape, detail: "bias must be (D)")
            }
            if let bias, bias.dtype != weight.dtype {
                throw TensorError.dtypeMismatch(op: "conv2d", lhs: weight.dtype, rhs: bias.dtype)
            }
            return try windowGeometry(input: x.shape, kernel: (weight.shape[2], weight.shape[3]), stride: stride,
                                      padding: padding, op: "conv2d")
        }
        let d = weight.shape[0]
        switch ConvolutionAlgorithm.choose(images: x.shape[0], channels: x.shape[1], outputs: d, g) {
        case .imageByImage, .winograd, .direct:
            return convolutionForward(x, weight: weight, bias: bias, g)  // (N, D, oh, ow)
        case .im2col:
            let cols = x.unfolded(g)                                     // (N, K, L)
            let y = matmul(weight.reshaped([d, -1]), cols)               // (N, D, L)
                .reshaped([x.shape[0], d, g.outHeight, g.outWidth])
            return bias.map { y.addingChannelBias($0) } ?? y
        }
    }

    /// Which of a convolution's three products a `convolutionProduct` call computes.
    enum ConvolutionProduct {
        case forward, weightGradient, inputGradient
    }

    /// `product` of operands (a, b) — (x, W), (x, ∂y) or (∂y, W) — into `count` new elements of the operands' dtype,
    /// by `DirectConvolution` or `WinogradConvolution` where `ConvolutionAlgorithm` picks it for the product's geometry
    /// (the input gradient only by Winograd, where it is itself such a convolution), else image by image.
    /// A bias (D), forward only, is added to each output by the forward kernel.
    static func convolutionProduct(_ product: ConvolutionProduct, _ a: Tensor, _ b: Tensor, bias: Tensor? = nil, count: Int,
                                   images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) -> Storage {
        func run<T: GemmScalar>(_ a: [T], _ b: [T], _ out: UnsafeMutableBufferPointer<T>) {
            let biasValues: [T]? = bias.map { bias in
                switch bias.storage {
                case .float32(let values): return values as! [T]
                case .float64(let values): return values as! [T]
                }
            }
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in (biasValues ?? []).withUnsafeBufferPointer { bias in
                let (a, b, out) = (a.baseAddress!, b.baseAddress!, out.baseAddress!)
                let bias = biasValues == nil ? nil : bias.baseAddress
                let algorithm = ConvolutionAlgorithm.choose(images: n, channels: c, outputs: d, g)
                switch product {
                case .forward where algorithm == .direct:
                    DirectConvolution<T>.forward(x: a, weight: b, bias: bias, into: out, images: n, channels: c, outputs: d, g)
                case .forward where algorithm == .winograd:
                    WinogradConvolution<T>.forward(x: a, weight: b, bias: bias, into: out, images: n, channels: c, outputs: d, g)
                case .forward:
                    ImageByImageConvolution<T>.forward(x: a, weight: b, bias: bias, into: out, images: n, channels: c, outputs: d, g)
                case .weightGradient where algorithm == .direct:
                    DirectConvolution<T>.weightGradient(x: a, outputGradient: b, into: out, images: n, channels: c, outputs: d, g)
                case .weightGradient where algorithm == .winograd:
                    WinogradConvolution<T>.weightGradient(x: a, outputGradient: b, into: out, images: n, channels: c, outputs: d, g)
                case .weightGradient:
                    ImageByImageConvolution<T>.weightGradient(x: a, outputGradient: b, into: out, images: n, channels: c, outputs: d, g)
                case .inputGradient where winogradInputGradient(images: n, channels: c, outputs: d, g):
                    WinogradConvolution<T>.inputGradient(outputGradient: a, weight: b, into: out, images: n, channels: c, outputs: d, g)
                case .inputGradient:
                    ImageByImageConvolution<T>.inputGradient(outputGradient: a, weight: b, into: out, images: n, channels: c, outputs: d, g)
                }
            } } }
        }
        return productStorage(a, b, count: count, empty: count == 0 || a.count == 0 || b.count == 0, op: "conv2d", run, run)
    }

    /// Whether the input gradient of a convolution over `g` runs as a Winograd convolution: the convolution of ∂y (D
    /// channels) into C channels with the flipped, transposed kernel and padding 2 − p, where that is a stride-1 3×3
    /// convolution with p ≤ 2 and the choice for its own shape is Winograd.
    static func winogradInputGradient(images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) -> Bool {
        guard WinogradConvolution<Float>.applies(g), g.padY <= 2, g.padX <= 2 else { return false }
        let transposed = WinogradConvolution<Float>.inputGradientGeometry(g)
        return ConvolutionAlgorithm.choose(images: n, channels: d, outputs: c, transposed) == .winograd
    }

    /// Cross-correlation, image by image, directly or by Winograd's F(2×2, 3×3) where chosen: x (N, C, H, W), weight
    /// (D, C, kh, kw), optionally a bias (D) that the kernel adds as it writes each output (where a separate
    /// `addingChannelBias` would read and write the whole output again: 16 MB on Conv4's first layer) → (N, D, oh, ow).
    /// Its gradients are the other two products and, for the bias, ∂y's channel sums; the three products are closed
    /// under differentiation, so gradients of every order stay on these kernels.
    static func convolutionForward(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, _ g: WindowGeometry) -> Tensor {
        // An empty operand (no input channels or no input pixels) runs no kernel: its outputs are the bias alone.
        if let bias, x.count == 0 || weight.count == 0 {
            return convolutionForward(x, weight: weight, g).addingChannelBias(bias)
        }
        let (n, c, d) = (x.shape[0], x.shape[1], weight.shape[0])
        let storage = convolutionProduct(.forward, x, weight, bias: bias, count: n * d * g.outHeight * g.outWidth,
                                         images: n, channels: c, outputs: d, g)
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        return record("conv2d", shape: [n, d, g.outHeight, g.outWidth], storage: storage, inputs: inputs) { grad, node in
            let (x, weight) = (node.inputs[0], node.inputs[1])
            return [node.needsGradient(0) ? convolutionInputGradient(grad, weight: weight, channels: c, g) : nil,
                    node.needsGradient(1) ? convolutionWeightGradient(x, outputGradient: grad, g) : nil]
                + (node.inputs.count == 3 ? [node.needsGradient(2) ? grad.channelSum() : nil] : [])
        }
    }

    /// ∂w[d, c, i, j] = Σ_{n,oy,ox} ∂y[n, d, oy, ox] · x[n, c, oy·sy − py + i, ox·sx − px + j]: x (N, C, H, W),
    /// ∂y (N, D, oh, ow) → (D, C, kh, kw). Bilinear: for an upstream H of the weight's shape, ⟨H, ∂w⟩ = ⟨conv(x, H), ∂y⟩,
    /// so ∂/∂(∂y) = conv(x, H) and ∂/∂x = the input gradient of conv(·, H) at ∂y. Image by image, or by Winograd's
    /// F(2×2, 3×3) (the forward's adjoint) where the forward over `g` is chosen to be.
    static func convolutionWeightGradient(_ x: Tensor, outputGradient grad: Tensor, _ g: WindowGeometry) -> Tensor {
        let (n, c, d) = (x.shape[0], x.shape[1], grad.shape[1])
        let count = d * c * g.kernelHeight * g.kernelWidth
        let storage = convolutionProduct(.weightGradient, x, grad, count: count, images: n, channels: c, outputs: d, g)
        return record("conv2dWeightGradient", shape: [d, c, g.kernelHeight, g.kernelWidth], storage: storage, inputs: [x, grad]) { h, node in
            let (x, grad) = (node.inputs[0], node.inputs[1])
            return [node.needsGradient(0) ? convolutionInputGradient(grad, weight: h, channels: c, g) : nil,
                    node.needsGradient(1) ? convolutionForward(x, weight: h, g) : nil]
        }
    }

    /// ∂x = col2im(Wᵀ · ∂y) image by image (or a Winograd convolution of ∂y where chosen): ∂y (N, D, oh, ow), weight (D, C, kh, kw) → (N, C, H, W). Linear in each:
    /// for an upstream K of the input's shape, ⟨K, ∂x⟩ = ⟨conv(K, W), ∂y⟩, so ∂/∂(∂y) = conv(K, W) and ∂/∂W = the weight
    /// gradient at (K, ∂y).
    static func convolutionInputGradient(_ grad: Tensor, weight: Tensor, channels c: Int, _ g: WindowGeometry) -> Tensor {
        let (n, d) = (grad.shape[0], grad.shape[1])
        let storage = convolutionProduct(.inputGradient, grad, weight, count: n * c * g.height * g.width, images: n, channels: c, outputs: d, g)
        return record("conv2dInputGradient", shape: [n, c, g.height, g.width], storage: storage, inputs: [grad, weight]) { k, node in
            let (grad, weight) = (node.inputs[0], node.inputs[1])
            return [node.needsGradient(0) ? convolutionForward(k, weight: weight, g) : nil,
                    node.needsGradient(1) ? convolutionWeightGradient(k, outputGradient: grad, g) : nil]
        }
    }

    /// 1-D cross-correlation: x (N, C, L), weight (D, C, k), bias (D) → (N, D, (L + 2p − k)/s + 1).
    public static func conv1d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        guard x.rank == 3, weight.rank == 3 else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "conv1d", lhs: x.shape, rhs: weight.shape, detail: "expected input (N, C, L) and weight (D, C, k)"))")
        }
        let y = conv2d(x.unsqueezed(2), weight: weight.unsqueezed(2), bias: bias, stride: (1, stride), padding: (0, padding))
        return y.reshaped([y.shape[0], y.shape[1], y.shape[3]])
    }

    /// Windows of an (N, C, H, W) tensor as (N, C, kh·kw, L), for pooling.
    func poolingWindows(kernel: (Int, Int), stride: (Int, Int), op: String) -> (Tensor, WindowGeometry) {
        let g = mustSucceed { try Tensor.windowGeometry(input: shape, kernel: kernel, stride: stride, padding: (0, 0), op: op) }
        let (n, c) = (shape[0], shape[1])
        let w = reshaped([n * c, 1, shape[2], shape[3]]).unfolded(g)
        return (w.reshaped([n, c, kernel.0 * kernel.1, g.outHeight * g.outWidth]), g)
    }

    /// Max-pooling over kh×kw windows (stride defaults to the kernel): (N, C, H, W) → (N, C, oh, ow).
    ///
    /// One pass that also records, for every output, the flat index of its window's maximum (the first
    /// one in row-major window order on ties, as PyTorch's `max_pool2d`). Backward: the gradient is added
    /// at those indices (`scatterAdding`), whose own backward gathers at them again (`gathering`), so
    /// gradients of every order are exact.
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil) -> Tensor {
        let g = mustSucceed { try Tensor.windowGeometry(input: shape, kernel: kernel, stride: stride ?? kernel, padding: (0, 0), op: "maxPool2d") }
        let (n, c) = (shape[0], shape[1])
        let outShape = [n, c, g.outHeight, g.outWidth]
        let outCount = n * c * g.outHeight * g.outWidth
        var indices = [Int32](repeating: 0, count: outCount)
        precondition(count <= Int(Int32.max), "maxPool2d: input of \(count) elements is too large")
        let storage = indices.withUnsafeMutableBufferPointer { idx in
            self.storage.transform(count: outCount,
                { maxPoolKernel($0, planes: n * c, g, into: $1, indices: idx.baseAddress!) },
                { maxPoolKernel($0, planes: n * c, g, into: $1, indices: idx.baseAddress!) })
        }
        let inShape = shape
        return Tensor.record("maxPool2d", shape: outShape, storage: storage, inputs: [self]) { grad, _ in
            [grad.scatterAdding(at: indices, toShape: inShape)]
        }
    }

    /// `out[indices[i]] += self[i]` into zeros of `target` (the adjoint of `gathering`).
    func scatterAdding(at indices: [Int32], toShape target: [Int]) -> Tensor { return KernelProfile.time(.pooling) {
        precondition(indices.count == count, "scatterAdding: \(indices.count) indices for \(count) elements")
        let total = product(target)
        func run<T: FloatingPoint>(_ x: UnsafeBufferPointer<T>, _ out: UnsafeMutableBufferPointer<T>) {
            indices.withUnsafeBufferPointer { idx in
                for i in 0..<x.count { out[Int(idx[i])] += x[i] }
            }
        }
        let sourceShape = shape
        let storage = self.storage.transformIntoZeros(count: total, run, run)
        return Tensor.record("scatterAdd", shape: target, storage: storage, inputs: [self]) { grad, _ in
            [grad.gathering(at: indices, shape: sourceShape)]
        }
    } }

    /// `out[i] = self[indices[i]]`, shaped `shape` (the adjoint of `scatterAdding`).
    func gathering(at indices: [Int32], shape outShape: [Int]) -> Tensor { return KernelProfile.time(.pooling) {
        precondition(indices.count == product(outShape), "gathering: \(indices.count) indices for shape \(outShape)")
        func run<T>(_ x: UnsafeBufferPointer<T>, _ out: UnsafeMutableBufferPointer<T>) {
            indices.withUnsafeBufferPointer { idx in
                for i in 0..<idx.count { out[i] = x[Int(idx[i])] }
            }
        }
        let sourceShape = shape
        let storage = self.storage.transform(count: indices.count, run, run)
        return Tensor.record("gather", shape: outShape, storage: storage, inputs: [self]) { grad, _ in
            [grad.scatterAdding(at: indices, toShape: sourceShape)]
        }
    } }

    /// Average-pooling over kh×kw windows (stride defaults to the kernel): (N, C, H, W) → (N, C, oh, ow).
    public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil) -> Tensor {
        let (w, g) = poolingWindows(kernel: kernel, stride: stride ?? kernel, op: "avgPool2d")
        return w.mean(axis: 2).reshaped([shape[0], shape[1], g.outHeight, g.outWidth])
    }
}
