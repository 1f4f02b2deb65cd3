import Tensors

/// The construction the 2-D synthetic families share (`SyntheticRotationTasks`, `SyntheticScaleTasks`): every
/// task is a convolution from 1 input channel to F fields of K channels each, whose filters are one random
/// combination of m basis functions per field, sampled once for each channel of the field,
///
///     y[n, c] = x[n, 0] ⋆ w[c],    w[f · K + k] = Σ_{i<m} a[f, i] · basis[k, i],    a[f, i] ~ N(0, σ²)
///
/// (k×k cross-correlation as `Tensor.conv2d`, no padding, no bias), inputs x (20, 1, 32, 32) from N(0, 1),
/// both Float32. What a family's channel k of a field is (a rotated, mirrored or dilated copy) lives only
/// in `sampledBasis`. σ follows He's initialisation for a linear map, σ² = 1 / E_k Σᵢ ‖basis[k, i]‖², so
/// E‖w[c]‖² = 1 averaged over the channels. Filters are computed in Float64 and rounded to Float32.
///
/// Task `i` follows from its own SplitMix64 stream, seeded by (`seed`, the family's `salt`, i): first the
/// F · m coefficients a (Box–Muller in Double), then the 20,480 input values (`fillStandardNormalPairs`).
struct BasisFilterBankTasks: Sendable {
    static let imageSize = 32
    static let examplesPerTask = 20

    let count: Int
    let seed: UInt64
    /// Salts the family seed, so that families do not share inputs.
    let salt: UInt64
    /// F, K, m and the kernel side k.
    let fieldCount: Int, channelsPerField: Int, basisCount: Int, kernelSize: Int
    /// (K, m, k²), Float64.
    let sampledBasis: [Double]
    /// σ, the standard deviation of the coefficients a[f, i].
    let coefficientScale: Double

    init(count: Int, seed: UInt64, salt: UInt64, fieldCount: Int, channelsPerField: Int, basisCount: Int, kernelSize: Int,
         sampledBasis: [Double]) {
        precondition(sampledBasis.count == channelsPerField * basisCount * kernelSize * kernelSize,
                     "BasisFilterBankTasks: the sampled basis has \(sampledBasis.count) values, not K · m · k²")
        self.count = count
        self.seed = seed
        self.salt = salt
        self.fieldCount = fieldCount
        self.channelsPerField = channelsPerField
        self.basisCount = basisCount
        self.kernelSize = kernelSize
        self.sampledBasis = sampledBasis
        let meanSquaredNorm = sampledBasis.reduce(0) { $0 + $1 * $1 } / Double(channelsPerField)
        coefficientScale = 1 / meanSquaredNorm.squareRoot()
    }

    /// C_out = F · K.
    var outputChannels: Int { fieldCount * channelsPerField }
    /// (C_out, 1, k, k), the shape of a task's filter bank.
    var filterBankShape: [Int] { [outputChannels, 1, kernelSize, kernelSize] }

    /// The seed of task `index`'s stream: `SyntheticTranslationTasks.streamSeed` of stream index + 1, the
    /// family seed salted.
    private func taskSeed(_ index: Int) -> UInt64 {
        SyntheticTranslationTasks.streamSeed(seed ^ (salt &* 0xD6E8_FEB8_6659_FD93), stream: index + 1)
    }

    /// a[f, i] ~ N(0, σ²): (F · m) values, field-major.
    private func drawCoefficients(using generator: inout SplitMix64) -> [Double] {
        (0..<(fieldCount * basisCount)).map { _ in coefficientScale * generator.nextNormal() }
    }

    /// w[f · K + k, tap] = Σᵢ a[f, i] · basis[k, i, tap], rounded to Float: (C_out · k²) values.
    private func filters(_ a: [Double]) -> [Float] {
        let taps = kernelSize * kernelSize, m = basisCount
        var w = [Float](repeating: 0, count: outputChannels * taps)
        for f in 0..<fieldCount {
            for k in 0..<channelsPerField {
                for t in 0..<taps {
                    var sum = 0.0
                    for i in 0..<m { sum += a[f * m + i] * sampledBasis[(k * m + i) * taps + t] }
                    w[(f * channelsPerField + k) * taps + t] = Float(sum)
                }
            }
        }
        return w
    }

    /// The coefficients a of task `index`: (F, m), Float64.
    func coefficients(at index: Int) -> Tensor {
        precondition(0 <= index && index < count, "coefficients(at:): index \(index) is outside 0..<\(count)")
        var generator = SplitMix64(seed: taskSeed(index))
        return Tensor(shape: [fieldCount, basisCount], scalars: drawCoefficients(using: &generator))
    }

    /// The filter bank w of task `index`: (C_out, 1, k, k), Float32.
    func filterBank(at index: Int) -> Tensor {
        precondition(0 <= index && index < count, "filterBank(at:): index \(index) is outside 0..<\(count)")
        var generator = SplitMix64(seed: taskSeed(index))
        return Tensor(shape: filterBankShape, scalars: filters(drawCoefficients(using: &generator)))
    }

    /// The filter banks of all tasks: (count, C_out, 1, k, k), Float32.
    func filterBanks() -> Tensor {
        var all: [Float] = []
        all.reserveCapacity(count * outputChannels * kernelSize * kernelSize)
        for index in 0..<count { all += filterBank(at: index).floats }
        return Tensor(shape: [count] + filterBankShape, scalars: all)
    }

    /// Task `index`: inputs (20, 1, 32, 32), targets (20, C_out, 32 − k + 1, 32 − k + 1), Float32.
    func task(at index: Int) -> TaskExamples {
        precondition(0 <= index && index < count, "task(at:): index \(index) is outside 0..<\(count)")
        var generator = SplitMix64(seed: taskSeed(index))
        let w = filters(drawCoefficients(using: &generator))
        let size = Self.examplesPerTask * Self.imageSize * Self.imageSize
        let x = [Float](unsafeUninitializedCapacity: size) { buffer, n in
            generator.fillStandardNormalPairs(buffer)
            n = size
        }
        let inputs = Tensor(shape: [Self.examplesPerTask, 1, Self.imageSize, Self.imageSize], scalars: x)
        return TaskExamples(inputs: inputs, targets: Tensor.conv2d(inputs, weight: Tensor(shape: filterBankShape, scalars: w)))
    }
}
