import Foundation

/// The eigen-decomposition M = V·diag(λ)·Vᵀ of a symmetric n × n matrix (row-major), by cyclic Jacobi rotations
/// (to rounding; n up to a few hundred), for matrix functions such as M^½ of a Gram matrix.
public struct SymmetricEigen: Sendable {
    public var size: Int
    public var values: [Double]
    /// Eigenvectors as the columns of V (row-major n × n).
    public var vectors: [Double]

    public init(_ m: [Double], size n: Int) {
        size = n
        var a = m
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0, total = 0.0
            for i in 0..<n { for j in 0..<n { total += a[i * n + j] * a[i * n + j]; if i != j { off += a[i * n + j] * a[i * n + j] } } }
            if off <= 1e-30 * max(total, 1e-300) { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) where a[p * n + q] != 0 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {   // columns p, q of A·J
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {   // rows p, q of Jᵀ·A
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        values = (0..<n).map { a[$0 * n + $0] }
        vectors = v
    }

    /// M^e = V·diag(λ^e)·Vᵀ over the eigenvalues above 1e-12 of the largest (the others, and negative rounding,
    /// count as 0: a pseudo-power for a singular Gram matrix).
    public func power(_ e: Double) -> [Double] {
        let n = size
        let cutoff = 1e-12 * (values.map(abs).max() ?? 0)
        let f = values.map { $0 > cutoff ? pow($0, e) : 0 }
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { var s = 0.0; for k in 0..<n { s += vectors[i * n + k] * f[k] * vectors[j * n + k] }; out[i * n + j] = s } }
        return out
    }
}
