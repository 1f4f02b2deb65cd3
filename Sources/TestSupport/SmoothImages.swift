import Foundation
import Tensors

/// One Gaussian bump of a smooth test image: centre (u, v), width σ, amplitude.
public typealias GaussianBump = (u: Double, v: Double, sigma: Double, amplitude: Double)

/// Σ amplitude · exp(−|p − centre|² / 2σ²) at p = (u, v): a smooth image as a function of the plane, which a
/// test can transform exactly (rotate, magnify) before sampling it.
public func gaussianBumps(_ bumps: [GaussianBump], _ u: Double, _ v: Double) -> Double {
    bumps.reduce(0) { sum, b in
        sum + b.amplitude * Foundation.exp(-((u - b.u) * (u - b.u) + (v - b.v) * (v - b.v)) / (2 * b.sigma * b.sigma))
    }
}

/// f sampled on an n×n grid, p = (column − c, c − row) with c = (n − 1)/2 (u rightwards, v upwards, about the
/// centre): (1, 1, n, n), Float32.
public func sampledOnGrid(size n: Int, _ f: (Double, Double) -> Double) -> Tensor {
    let c = Double(n - 1) / 2
    let v = (0..<(n * n)).map { f(Double($0 % n) - c, c - Double($0 / n)) }
    return Tensor(shape: [1, 1, n, n], values: v, dtype: .float32)
}
