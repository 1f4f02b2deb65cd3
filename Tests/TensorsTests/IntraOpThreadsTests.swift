import Tensors
import TestSupport
import XCTest

/// Kernels that split across intra-op threads give bitwise the same values and gradients (first and
/// second order) on 1, 2 and 3 threads. The split threshold is lowered so that small tensors split.
final class IntraOpThreadsTests: XCTestCase {
    /// conv → batch norm → ReLU → max-pool → a product with a matrix; the loss, its gradients, and the
    /// gradient of a Hessian–vector product, all as Float32 scalars.
    func block(_ threads: Int) -> [[Float]] {
        withIntraOpThreads(threads, minimumWork: 0) {
            var g = SplitMix64(seed: 41)
            let x = Tensor.randomNormal([6, 3, 12, 12], using: &g)
            let w = Tensor.randomNormal([40, 3, 3, 3], using: &g).requiringGradient()
            let b = Tensor.randomNormal([40], using: &g).requiringGradient()
            let gamma = Tensor.randomNormal([40], using: &g).requiringGradient()
            let beta = Tensor.randomNormal([40], using: &g).requiringGradient()
            let head = Tensor.randomNormal([7, 40 * 36], using: &g).requiringGradient()
            func loss(_ w: Tensor) -> Tensor {
                let y = Tensor.conv2d(x, weight: w, bias: b, padding: (1, 1))
                let z = Tensor.batchNorm(y, scale: gamma, shift: beta).relu().maxPool2d(kernel: (2, 2))
                let logits = Tensor.matmul(z.reshaped([6, -1]), head, transposeB: true)
                return Tensor.crossEntropy(logits: logits, labels: [0, 1, 2, 3, 4, 5])
            }
            let l = loss(w)
            let first = gradients(of: l, wrt: [w, b, gamma, beta, head], createGraph: true)
            // One inner SGD step on w, then the outer loss: second-order gradients.
            let outer = loss(w - 0.1 * first[0])
            let second = gradients(of: outer, wrt: [w, b, gamma, beta, head])
            return [l.floats] + first.map(\.floats) + second.map(\.floats)
        }
    }

    func testConvBlockDoesNotDependOnThreads() {
        for backend in [nil, MatmulBackend.builtIn] {
            MatmulConfiguration.withBackend(backend) {
                let one = block(1)
                XCTAssertEqual(one, block(2))
                XCTAssertEqual(one, block(3))
            }
        }
    }

    /// Row and column splits of one product, and of a product summed over a batch.
    func testProductsDoNotDependOnThreads() {
        var g = SplitMix64(seed: 42)
        let tall = Tensor.randomNormal([150, 70], using: &g), wide = Tensor.randomNormal([70, 130], using: &g)
        let batchA = Tensor.randomNormal([5, 40, 30], using: &g), batchB = Tensor.randomNormal([5, 90, 30], using: &g)
        func products(_ threads: Int) -> [[Float]] {
            withIntraOpThreads(threads, minimumWork: 0) {
                [Tensor.matmul(tall, wide).floats, Tensor.matmul(tall.transposed(), tall).floats,
                 Tensor.matmul(wide.transposed(), wide, transposeB: false).floats,
                 Tensor.matmulSummedOverBatch(batchA, batchB, transposeB: true).floats,
                 Tensor.matmulSummedOverBatch(batchB, batchA, transposeB: true).floats,
                 Tensor.matmul(batchA, batchB, transposeB: true).floats]
            }
        }
        for backend in [nil, MatmulBackend.builtIn] {
            MatmulConfiguration.withBackend(backend) {
                let one = products(1)
                XCTAssertEqual(one, products(2))
                XCTAssertEqual(one, products(3))
            }
        }
    }

    /// `parallelMap` hands the threads its workers leave over to the kernels.
    func testParallelMapGivesLeftoverThreadsToKernels() {
        XCTAssertEqual(parallelMap(1, threads: 2) { _ in intraOpThreads }, [2])
        XCTAssertEqual(parallelMap(4, threads: 2) { _ in intraOpThreads }, [1, 1, 1, 1])
        XCTAssertEqual(parallelMap(2, threads: 4) { _ in intraOpThreads }, [2, 2])
        XCTAssertEqual(intraOpThreads, 1)
    }
}
