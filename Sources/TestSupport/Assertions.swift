import Tensors
import XCTest

/// Asserts `‖actual − expected‖ ≤ tolerance · max(‖expected‖, 1)` (Euclidean norms over the tensor: relative
/// for large values, absolute for small ones), and equal shapes. Failures report shapes, the error and
/// the first values.
public func assertClose(_ actual: Tensor, _ expected: Tensor, tolerance: Double, _ message: @autoclosure () -> String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("shape \(actual.shape) ≠ expected \(expected.shape). \(message())", file: file, line: line)
        return
    }
    let (error, scale) = normError(actual.scalars, expected.scalars)
    if !(error <= tolerance * max(scale, 1)) {
        XCTFail("‖Δ‖ = \(error) > \(tolerance) · max(‖ref‖ = \(scale), 1). got \(actual), expected \(expected). \(message())",
                file: file, line: line)
    }
}

/// Scalar form of `assertClose`.
public func assertClose(_ actual: Double, _ expected: Double, tolerance: Double, _ message: @autoclosure () -> String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    let error = abs(actual - expected)
    if !(error <= tolerance * max(abs(expected), 1)) {
        XCTFail("|\(actual) − \(expected)| = \(error) > \(tolerance) · max(|ref|, 1). \(message())", file: file, line: line)
    }
}

/// (‖a − b‖, ‖b‖).
public func normError(_ a: [Double], _ b: [Double]) -> (Double, Double) {
    var e = 0.0, s = 0.0
    for (x, y) in zip(a, b) { e += (x - y) * (x - y); s += y * y }
    return (e.squareRoot(), s.squareRoot())
}

/// A Float64 tensor of N(0, 1) samples, for tests.
public func randn(_ shape: [Int], seed: UInt64, dtype: DType = .float64) -> Tensor {
    var g = SplitMix64(seed: seed)
    return Tensor.randomNormal(shape, dtype: dtype, using: &g)
}

/// A Float64 tensor of samples from U[low, high), for tests (e.g. positive inputs of log and sqrt).
public func uniform(_ shape: [Int], _ low: Double, _ high: Double, seed: UInt64) -> Tensor {
    var g = SplitMix64(seed: seed)
    return Tensor.randomUniform(shape, low: low, high: high, dtype: .float64, using: &g)
}
