import Tensors
import XCTest

/// conv2d by its definition: y[n, d, oy, ox] = b[d] + Σ x[n, c, oy·s − p + i, ox·s − p + j] w[d, c, i, j].
public func referenceConv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: (Int, Int), padding: (Int, Int)) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (d, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let oh = (h + 2 * padding.0 - kh) / stride.0 + 1, ow = (wd + 2 * padding.1 - kw) / stride.1 + 1
    let xs = x.scalars, ws = w.scalars, bs = b?.scalars
    var out = [Double](repeating: 0, count: n * d * oh * ow)
    for ni in 0..<n { for di in 0..<d { for oy in 0..<oh { for ox in 0..<ow {
        var s = bs?[di] ?? 0
        for ci in 0..<c { for i in 0..<kh { for j in 0..<kw {
            let iy = oy * stride.0 - padding.0 + i, ix = ox * stride.1 - padding.1 + j
            if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
            s += xs[((ni * c + ci) * h + iy) * wd + ix] * ws[((di * c + ci) * kh + i) * kw + j]
        } } }
        out[((ni * d + di) * oh + oy) * ow + ox] = s
    } } } }
    return Tensor(shape: [n, d, oh, ow], values: out, dtype: .float64)
}

/// A stride-1 convolution to check: input (N, C, H, W), weight (D, C, kh, kw), zero padding.
public typealias ConvolutionGeometry = (x: [Int], w: [Int], padding: (Int, Int))

/// With `algorithm` forced, conv2d with bias matches `referenceConv2d` on every geometry: to 1e-13 in Float64 and
/// 1e-5 in Float32 (relative to max(|y|, 1)).
public func assertConvolutionMatchesDefinition(_ algorithm: ConvolutionAlgorithm, _ geometries: [ConvolutionGeometry],
                                               file: StaticString = #filePath, line: UInt = #line) {
    for (index, geometry) in geometries.enumerated() {
        let x = randn(geometry.x, seed: UInt64(index)), w = randn(geometry.w, seed: UInt64(index + 10))
        let b = randn([geometry.w[0]], seed: 20)
        let expected = referenceConv2d(x, w, b, stride: (1, 1), padding: geometry.padding)
        ConvolutionAlgorithm.withForced(algorithm) {
            let y = Tensor.conv2d(x, weight: w, bias: b, padding: geometry.padding)
            assertClose(y, expected, tolerance: 1e-13, "\(algorithm), geometry \(index), Float64", file: file, line: line)
            let y32 = Tensor.conv2d(x.to(.float32), weight: w.to(.float32), bias: b.to(.float32), padding: geometry.padding)
            assertClose(y32, expected, tolerance: 1e-5, "\(algorithm), geometry \(index), Float32", file: file, line: line)
        }
    }
}

/// With `algorithm` forced, first and second derivatives of tanh(conv2d(x, w)) by finite differences (`checkGradients`):
/// tanh makes the second derivative depend on x and w jointly, so the Hessian·v check runs through the gradients of the
/// weight and input gradients. Geometries small enough for central differences over every element.
public func assertConvolutionGradients(_ algorithm: ConvolutionAlgorithm, _ geometries: [ConvolutionGeometry],
                                       file: StaticString = #filePath, line: UInt = #line) {
    ConvolutionAlgorithm.withForced(algorithm) {
        for (index, geometry) in geometries.enumerated() {
            let x = randn(geometry.x, seed: UInt64(30 + index)), w = randn(geometry.w, seed: UInt64(40 + index))
            checkGradients([x, w], file: file, line: line) { Tensor.conv2d($0[0], weight: $0[1], padding: geometry.padding).tanh() }
        }
    }
}

/// With `algorithm` forced, y and both gradients of Σy² are bitwise the same on 1 and 2 intra-op threads (Float32,
/// padding 1).
public func assertConvolutionIndependentOfThreads(_ algorithm: ConvolutionAlgorithm, x xShape: [Int], w wShape: [Int],
                                                  file: StaticString = #filePath, line: UInt = #line) {
    let x = randn(xShape, seed: 60, dtype: .float32), w = randn(wShape, seed: 61, dtype: .float32)
    func run(threads: Int) -> [[Double]] {
        withIntraOpThreads(threads, minimumWork: 0) {
            ConvolutionAlgorithm.withForced(algorithm) {
                let (xl, wl) = (x.requiringGradient(), w.requiringGradient())
                let y = Tensor.conv2d(xl, weight: wl, padding: (1, 1))
                return [y.scalars] + gradients(of: (y * y).sum(), wrt: [xl, wl]).map(\.scalars)
            }
        }
    }
    XCTAssertEqual(run(threads: 1), run(threads: 2), "\(algorithm)", file: file, line: line)
}

/// With `algorithm` forced, the weight gradient alone (x a constant, so the backward computes ∂w and nothing else)
/// against im2col's ∂W = ∂y · colsᵀ for every geometry: to 1e-12 of the largest magnitude in Float64, and within 2e-6
/// of it in Float32 against im2col in Float64. Prints the worst Float32 error beside im2col's own.
public func assertWeightGradientMatchesIm2col(_ algorithm: ConvolutionAlgorithm, _ geometries: [ConvolutionGeometry],
                                              file: StaticString = #filePath, line: UInt = #line) {
    var worst = (algorithm: 0.0, im2col: 0.0)
    for (index, geometry) in geometries.enumerated() {
        let x = randn(geometry.x, seed: UInt64(70 + index)), w = randn(geometry.w, seed: UInt64(80 + index))
        let oh = geometry.x[2] + 2 * geometry.padding.0 - geometry.w[2] + 1
        let ow = geometry.x[3] + 2 * geometry.padding.1 - geometry.w[3] + 1
        let r = randn([geometry.x[0], geometry.w[0], oh, ow], seed: UInt64(90 + index))
        func weightGradient(_ algorithm: ConvolutionAlgorithm, _ dtype: DType) -> Tensor {
            ConvolutionAlgorithm.withForced(algorithm) {
                let wl = w.to(dtype).requiringGradient()
                let y = Tensor.conv2d(x.to(dtype), weight: wl, padding: geometry.padding)
                return gradients(of: (y * r.to(dtype)).sum(), wrt: [wl])[0].to(.float64)
            }
        }
        let exact = weightGradient(.im2col, .float64)
        func error(_ a: Tensor) -> Double { (a - exact).abs().max().item / exact.abs().max().item }
        XCTAssertLessThan(error(weightGradient(algorithm, .float64)), 1e-12, "\(algorithm), geometry \(index), Float64",
                          file: file, line: line)
        let e32 = (algorithm: error(weightGradient(algorithm, .float32)), im2col: error(weightGradient(.im2col, .float32)))
        XCTAssertLessThan(e32.algorithm, 2e-6, "\(algorithm), geometry \(index), Float32", file: file, line: line)
        worst = (max(worst.algorithm, e32.algorithm), max(worst.im2col, e32.im2col))
    }
    print("Float32 weight gradient, worst error of the largest magnitude against im2col in Float64: "
          + "\(algorithm) \(worst.algorithm), im2col \(worst.im2col)")
}
