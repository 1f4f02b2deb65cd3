import Tensors

/// The classifier of Prototypical Networks (Snell, Swersky & Zemel, NeurIPS 2017): each class n is
/// represented by its prototype, the mean embedding of its support examples,
///
///     cₙ = (1/|Sₙ|) Σ_{i ∈ Sₙ} f(xᵢ),
///
/// and a query embedding q gets the logits −‖q − cₙ‖² (squared Euclidean distance), so softmax over them
/// is the paper's p(y = n | x).
public enum PrototypicalNetworks {
    /// Class prototypes: support embeddings (M, E) with labels in 0..<N → (N, E), row n the mean of the
    /// embeddings labelled n. Every class must have at least one support example.
    public static func prototypes(_ support: Tensor, labels: [Int], ways: Int) -> Tensor {
        precondition(support.rank == 2 && support.shape[0] == labels.count,
                     "prototypes: expected support embeddings (M, E) and M labels, got \(support.shape) and \(labels.count)")
        var counts = [Double](repeating: 0, count: ways)
        for y in labels { counts[y] += 1 }
        precondition(!counts.contains(0), "prototypes: every one of the \(ways) classes needs a support example")
        let sums = support.indexAdd(axis: 0, labels, size: ways)                      // (N, E)
        let inverse = Tensor(shape: [ways, 1], values: counts.map { 1 / $0 }, dtype: support.dtype)
        return sums * inverse
    }

    /// Logits −‖qₘ − cₙ‖² of queries (M, E) against prototypes (N, E) → (M, N), computed as
    /// 2·q·cᵀ − ‖q‖² − ‖c‖² (one matrix product).
    public static func logits(query q: Tensor, prototypes c: Tensor) -> Tensor {
        precondition(q.rank == 2 && c.rank == 2 && q.shape[1] == c.shape[1],
                     "logits: expected query (M, E) and prototypes (N, E), got \(q.shape) and \(c.shape)")
        let qc = Tensor.matmul(q, c, transposeB: true)                                 // (M, N)
        let qq = q.squared().sum(axis: 1, keepDims: true)                              // (M, 1)
        let cc = c.squared().sum(axis: 1).reshaped([1, c.shape[0]])                    // (1, N)
        return qc * 2 - qq - cc
    }
}
