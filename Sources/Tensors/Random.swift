import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast, seedable generator. Every random function of the
/// package takes one explicitly, so a run is reproduced from its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A standard normal sample (Box–Muller).
    public mutating func nextNormal() -> Double {
        var u = nextUniform()
        while u <= 0 { u = nextUniform() }
        let v = nextUniform()
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }
}

extension Tensor {
    /// Samples from N(mean, std²).
    public static func randomNormal(_ shape: [Int], mean: Double = 0, standardDeviation: Double = 1,
                                    dtype: DType = .float32, using generator: inout SplitMix64) -> Tensor {
        let n = mustSucceed { try ShapeCheck.elementCount(shape, op: "randomNormal") }
        var v = KernelProfile.zeroedArray(of: Double.self, count: n)
        for i in 0..<n { v[i] = mean + standardDeviation * generator.nextNormal() }
        return Tensor(shape: shape, values: v, dtype: dtype)
    }

    /// Samples from U[low, high).
    public static func randomUniform(_ shape: [Int], low: Double = 0, high: Double = 1,
                                     dtype: DType = .float32, using generator: inout SplitMix64) -> Tensor {
        let n = mustSucceed { try ShapeCheck.elementCount(shape, op: "randomUniform") }
        var v = KernelProfile.zeroedArray(of: Double.self, count: n)
        for i in 0..<n { v[i] = low + (high - low) * generator.nextUniform() }
        return Tensor(shape: shape, values: v, dtype: dtype)
    }
}
