import Foundation
import Tensors
import TestSupport
import XCTest

/// `KernelProfile`: each kernel's own time under its kind, nested kernels not counted twice, the parts of a
/// kernel split over intra-op threads all counted, nothing counted when off.
final class KernelProfileTests: XCTestCase {
    /// A product, a convolution (im2col + product), a batch norm, a pool, a transpose copy and elementwise
    /// work are each counted under their own kind; the kinds together claim no more than the wall time
    /// of the single-threaded body (nothing counted twice).
    func testKernelsAreCountedUnderTheirKinds() {
        let a = randn([64, 64], seed: 1).to(.float32), b = randn([64, 64], seed: 2).to(.float32)
        let x = randn([4, 3, 12, 12], seed: 3).to(.float32), w = randn([5, 3, 3, 3], seed: 4).to(.float32)
        let start = Date()
        let profile = KernelProfile.measuring { () -> Tensor in
            let p = Tensor.matmul(a, b)
            // im2col forced: by shape, a 3-channel 3×3 convolution runs directly (no unfolding).
            let y = ConvolutionAlgorithm.withForced(.im2col) { Tensor.conv2d(x, weight: w, padding: (1, 1)) }
            let n = Tensor.batchNorm(y, scale: Tensor.ones([5]), shift: Tensor.zeros([5])).relu().maxPool2d(kernel: (2, 2))
            return (p.transposed() * 2).sum() + n.sum()
        }
        let wall = Date().timeIntervalSince(start)
        for kind in [KernelProfile.Kind.products, .im2col, .batchNorm, .pooling, .copies, .elementwise, .allocation] {
            XCTAssertGreaterThan(profile.calls[kind] ?? 0, 0, kind.name)
            XCTAssertGreaterThan(profile.seconds[kind] ?? 0, 0, kind.name)
        }
        XCTAssertGreaterThanOrEqual(profile.calls[.products] ?? 0, 2)   // the matmul and the convolution's product
        XCTAssertLessThanOrEqual(profile.seconds.values.reduce(0, +), wall)
        // Off again: a product after the profile is not counted anywhere.
        let again = KernelProfile.measuring { () -> Int in 0 }
        _ = Tensor.matmul(a, b)
        XCTAssertEqual(again.calls.values.reduce(0, +), 0)
    }

    /// An elementwise op's output allocation is counted as allocation, not as elementwise: the two kinds'
    /// calls grow together and elementwise's own time excludes the nested allocation.
    func testNestedAllocationIsNotCountedTwice() {
        let x = randn([1 << 16], seed: 5).to(.float32), y = randn([1 << 16], seed: 6).to(.float32)
        let profile = KernelProfile.measuring { () -> Tensor in (0..<20).reduce(x) { z, _ in z + y } }
        XCTAssertEqual(profile.calls[.elementwise], 20)
        XCTAssertGreaterThanOrEqual(profile.calls[.allocation] ?? 0, 20)
    }

    /// A product, a batch norm and a max-pool split over 2 intra-op threads claim about as much CPU time
    /// as on 1 thread (splitting adds work, never removes it), with the same calls (a helper's part is no
    /// call), and all kinds together no more than the process's CPU time (no part counted twice). Before
    /// the helpers' parts were counted, the split product claimed nothing and the others about half.
    func testKernelsSplitOverIntraOpThreadsCountEveryThreadsPart() {
        let a = randn([96, 96], seed: 7).to(.float32), b = randn([96, 96], seed: 8).to(.float32)
        let x = randn([8, 32, 16, 16], seed: 9).to(.float32)
        let scale = Tensor.ones([32]).to(.float32), shift = Tensor.zeros([32]).to(.float32)
        func profile(threads: Int) -> (seconds: [KernelProfile.Kind: Double], calls: [KernelProfile.Kind: Int], cpu: Double) {
            // Built-in products: only those split (a BLAS product runs whole on the calling thread).
            MatmulConfiguration.withBackend(.builtIn) {
                withIntraOpThreads(threads, minimumWork: 0) {
                    func work() { _ = (Tensor.matmul(a, b), Tensor.batchNorm(x, scale: scale, shift: shift).maxPool2d(kernel: (2, 2))) }
                    work()   // first calls' one-time set-up outside the profile
                    let cpu0 = processCPUSeconds()
                    let profile = KernelProfile.measuring { for _ in 0..<4 { work() } }
                    return (profile.seconds, profile.calls, processCPUSeconds() - cpu0)
                }
            }
        }
        let one = profile(threads: 1), two = profile(threads: 2)
        XCTAssertEqual(two.calls, one.calls)
        for kind in [KernelProfile.Kind.products, .batchNorm, .pooling] {
            let (split, whole) = (two.seconds[kind] ?? 0, one.seconds[kind] ?? 0)
            XCTAssertGreaterThan(whole, 0, kind.name)
            XCTAssertGreaterThanOrEqual(split, 0.8 * whole, "\(kind.name): \(split) s on 2 threads, \(whole) s on 1")
        }
        XCTAssertLessThanOrEqual(two.seconds.values.reduce(0, +), two.cpu + 1e-3)
    }

    /// This process's CPU time over all threads, s.
    func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
