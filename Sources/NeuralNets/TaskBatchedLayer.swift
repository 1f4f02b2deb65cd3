import Tensors

/// A layer that runs the tasks of a meta-batch as one computation: its inner parameters (`innerParameterKeys`)
/// carry a leading task axis B — one value per task — while the outer-only parameters (MSR's U) are shared by
/// all tasks, so that e.g. every task's W_b = reshape(U·v_b) is one (B × K)·(K × O·I) product and its gradient
/// with respect to U one product too.
///
/// Shapes: input (B, n, …) — task b's n examples — → output (B, n, …), each task's slice equal to
/// `apply` with that task's parameters (to rounding). Tasks never mix, so the gradient of Σ_b L_b with respect
/// to the (B, …) inner parameters is every task's own gradient.
///
/// The shared parameters come from `segments`: the tasks fall into consecutive segments, each with its own copy
/// (`TaskSegments`), so that several groups of tasks can run as one computation and still get their gradients
/// apart; with one segment they are `parameters`' own.
public protocol TaskBatchedLayer: Layer {
    func applyToTasks(_ parameters: Parameters, _ input: Tensor, segments: TaskSegments) -> Tensor
}

extension TaskBatchedLayer {
    /// All tasks as one segment: the shared parameters are `parameters`' own.
    public func applyToTasks(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        applyToTasks(parameters, input, segments: TaskSegments(parameters, taskCount: input.shape[0]))
    }
}

extension Linear: TaskBatchedLayer {
    /// y_b = x_b · W_bᵀ + b_b for each task: x (B, n, …, I), W (B, O, I), b (B, O) → (B, n, …, O). No parameter is
    /// shared between tasks, so the segments do not matter.
    public func applyToTasks(_ parameters: Parameters, _ input: Tensor, segments: TaskSegments) -> Tensor {
        taskProduct(input, parameters["weight"], bias: hasBias ? parameters["bias"] : nil)
    }
}

extension SymmetricLinear: TaskBatchedLayer {
    /// y_b = x_b · W_bᵀ + b_b with W_b = reshape(U · v_b): x (B, n, …, I) → (B, n, …, O), by the cheaper of two
    /// orders of the same contraction y_b[e, o] = Σ_{i,k} x_b[e, i] · U[o·I + i, k] · v_b[k]:
    ///
    /// - through W (n·… > 1 examples per task): every W_b as one product, V (B, K) · Uᵀ → (B, O·I) → (B, O, I),
    ///   then one batched product with the examples: B·O·I·(K + n) multiply-adds. Where this computation already
    ///   holds U with its first two axes swapped, Ũ (`examplesFirst` made it for a one-example support set), each
    ///   Wᵀ_b = reshape(Ũ · v_b) is formed instead, (B, I, O), and the examples multiply it as it lies (no transposed
    ///   copy of W_b packed: B = 32 query products 119 → 93 µs), its gradient joining Ũ's before one permutation back.
    /// - one example per task (`examplesFirst`): x contracted with U first, B·O·I·K multiply-adds, and no
    ///   (B, O, I) tensor is formed — the support set of the paper's 1-shot synthetic tasks, where the inner
    ///   gradient would otherwise form each W_b and its gradient several times per step.
    ///
    /// Either way U enters once for all tasks, each segment's rows with its own copy of U.
    public func applyToTasks(_ parameters: Parameters, _ input: Tensor, segments: TaskSegments) -> Tensor {
        let v = parameters[Self.filterParametersKey]
        let bias = hasBias ? parameters["bias"] : nil
        if input.shape.dropFirst().dropLast().reduce(1, *) == 1 {
            return examplesFirst(byInput(segments), v, input, bias: bias, rowsPerSegment: segments.taskCounts)
        }
        let tasks = v.shape[0]
        if let ũs = segments.derivedIfMade(Self.byInputKey) {
            let wt = Tensor.matmul(v, segmentsOf: ũs.map { $0.reshaped([inputFeatures * outputFeatures, latentSize]) },
                                   rowsPerSegment: segments.taskCounts, transposeB: true)
            return taskProduct(input, wt.reshaped([tasks, inputFeatures, outputFeatures]), byInput: true, bias: bias)
        }
        let w = Tensor.matmul(v, segmentsOf: segments.copies(Self.symmetryMatrixKey), rowsPerSegment: segments.taskCounts,
                              transposeB: true).reshaped([tasks, outputFeatures, inputFeatures])
        return taskProduct(input, w, bias: bias)
    }

    /// The name under which a computation's segments hold Ũ (one task-batched layer per computation: a model of
    /// several would need the layer's parameter prefix in it).
    static let byInputKey = "symmetryMatrix.byInput"

    /// Each segment's copy of U viewed (O, I, K) with its first two axes swapped, Ũ (I, O, K): one permutation per
    /// computation (`TaskSegments.derived`, `Tensor.permuted(copies:)`).
    func byInput(_ segments: TaskSegments) -> [Tensor] {
        segments.derived(Self.byInputKey) {
            Tensor.permuted(copies: segments.copies(Self.symmetryMatrixKey).map { $0.reshaped([outputFeatures, inputFeatures, latentSize]) },
                            [1, 0, 2])
        }
    }

    /// One example x_b per task: P[b, o, k] = Σ_i x_b[i] · U[o·I + i, k] as one product, X (B, I) times U laid out
    /// as Ũ (I, O·K) (U viewed (O, I, K) with its first two axes swapped: one copy of U, and of its gradient back) →
    /// (B, O·K); then y_b = P_b · v_b, (B, O, K) · (B, K, 1) → (B, O), and the bias. One product with O·K columns
    /// where O products of (B × I)·(I × K) re-packed X each time and ran K-wide tiles (rank5: 1.9× faster with the
    /// copies, and its gradient 1.5×). Every P element is the same sum in the same order either way. Shapes: each
    /// segment's Ũ (I, O, K), v (B, K), input (B, 1, …, I) → (B, 1, …, O).
    func examplesFirst(_ ũs: [Tensor], _ v: Tensor, _ input: Tensor, bias: Tensor?, rowsPerSegment: [Int]) -> Tensor {
        let tasks = input.shape[0]
        let p = Tensor.matmul(input.reshaped([tasks, inputFeatures]),
                              segmentsOf: ũs.map { $0.reshaped([inputFeatures, outputFeatures * latentSize]) }, rowsPerSegment: rowsPerSegment)
            .reshaped([tasks, outputFeatures, latentSize])
        let y = Tensor.matmul(p, v.unsqueezed(2)).reshaped(Array(input.shape.dropLast()) + [outputFeatures])
        return addingTaskBias(y, bias)
    }
}

/// y_b = x_b · W_bᵀ (+ b_b) for every task as one batched product: x (B, n, …, I) viewed as (B, n·…, I), W (B, O, I) —
/// or, `byInput`, Wᵀ (B, I, O) — and b (B, O) broadcast over the examples → (B, n, …, O).
func taskProduct(_ input: Tensor, _ w: Tensor, byInput: Bool = false, bias: Tensor?) -> Tensor {
    let rows = input.reshaped([input.shape[0], input.shape.dropFirst().dropLast().reduce(1, *), input.shape[input.rank - 1]])
    let outputs = w.shape[byInput ? 2 : 1]
    return addingTaskBias(Tensor.matmul(rows, w, transposeB: !byInput).reshaped(Array(input.shape.dropLast()) + [outputs]), bias)
}

/// y (B, n, …, O) plus each task's bias b_b (B, O) broadcast over its examples; y itself when there is no bias.
func addingTaskBias(_ y: Tensor, _ bias: Tensor?) -> Tensor {
    guard let bias else { return y }
    return y + bias.reshaped([bias.shape[0]] + Array(repeating: 1, count: y.rank - 2) + [bias.shape[1]])
}
