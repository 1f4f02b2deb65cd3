import Tensors
import TestSupport
import XCTest

/// First and second derivatives of every elementwise op, by finite differences in Float64.
final class ElementwiseGradientTests: XCTestCase {
    func testArithmeticWithBroadcasting() {
        // Shapes that broadcast in every way: equal, trailing, leading, middle, scalar.
        let pairs: [([Int], [Int])] = [([2, 3], [2, 3]), ([2, 3], [3]), ([4, 1, 3], [2, 1]), ([2, 1, 3], [1, 4, 1]), ([3], [])]
        for (i, (sa, sb)) in pairs.enumerated() {
            let a = randn(sa, seed: UInt64(i)), b = uniform(sb, 0.5, 2, seed: UInt64(i + 10))
            checkGradients([a, b]) { $0[0] + $0[1] }
            checkGradients([a, b]) { $0[0] - $0[1] }
            checkGradients([a, b]) { $0[0] * $0[1] }
            checkGradients([a, b]) { $0[0] / $0[1] }
            checkGradients([b, a]) { $0[0] / $0[1].exp() }
        }
    }

    func testBroadcastValues() {
        let a = Tensor(shape: [2, 1, 3], values: [1, 2, 3, 4, 5, 6], dtype: .float64)
        let b = Tensor(shape: [2, 1], values: [10, 20], dtype: .float64)
        let c = a + b  // (2, 2, 3): c[i, j, k] = a[i, 0, k] + b[j, 0]
        XCTAssertEqual(c.shape, [2, 2, 3])
        XCTAssertEqual(c.scalars, [11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26])
        XCTAssertEqual((2.0 - a).scalars, [1, 0, -1, -2, -3, -4])
    }

    func testUnaryFunctions() {
        let x = randn([2, 3], seed: 1)
        let positive = uniform([2, 3], 0.3, 2, seed: 2)
        checkGradients([x]) { -$0[0] }
        checkGradients([x]) { $0[0].exp() }
        checkGradients([positive]) { $0[0].log() }
        checkGradients([positive]) { $0[0].sqrt() }
        checkGradients([positive]) { $0[0].pow(2.5) }
        checkGradients([x]) { $0[0].pow(3) }
        checkGradients([x]) { $0[0].squared() }
        checkGradients([x]) { $0[0].abs() * $0[0] }  // |x|·x: second derivative 2·sign(x)
        checkGradients([x]) { $0[0].abs() }
        checkGradients([x]) { $0[0].relu() }
        checkGradients([x]) { ($0[0].relu() * $0[0]).exp() }
        checkGradients([x]) { $0[0].sigmoid() }
        checkGradients([x]) { $0[0].tanh() }
        checkGradients([x * 3]) { $0[0].softplus() }
    }

    func testUnaryValues() {
        let x = Tensor(shape: [4], values: [-2, -0.5, 0.5, 40], dtype: .float64)
        assertClose(x.softplus(), Tensor(shape: [4], values: [-2, -0.5, 0.5, 40].map { Foundation.log(1 + Foundation.exp($0)) }, dtype: .float64), tolerance: 1e-15)
        assertClose(x.sigmoid(), Tensor(shape: [4], values: [-2, -0.5, 0.5, 40].map { 1 / (1 + Foundation.exp(-$0)) }, dtype: .float64), tolerance: 1e-15)
        XCTAssertEqual(x.relu().scalars, [0, 0, 0.5, 40])
        XCTAssertEqual(x.abs().scalars, [2, 0.5, 0.5, 40])
    }

    /// y = x³: dy/dx = 3x², d²y/dx² = 6x, d³y/dx³ = 6 (grad of grad of grad).
    func testThirdDerivativeClosedForm() {
        let x = Tensor(shape: [], values: [1.5], dtype: .float64).requiringGradient()
        let y = x * x * x
        let dy = gradients(of: y, wrt: [x], createGraph: true)[0]
        XCTAssertEqual(dy.item, 3 * 1.5 * 1.5, accuracy: 1e-12)
        let d2y = gradients(of: dy, wrt: [x], createGraph: true)[0]
        XCTAssertEqual(d2y.item, 6 * 1.5, accuracy: 1e-12)
        let d3y = gradients(of: d2y, wrt: [x])[0]
        XCTAssertEqual(d3y.item, 6, accuracy: 1e-12)
    }

    /// Converting the element type is differentiable: the gradient comes back in the source's type.
    /// (Not a finite-difference check: a Float32 round trip would bury h = 1e-6 in rounding.)
    func testConversionGradient() {
        let x = randn([3], seed: 4).requiringGradient()
        let c = Tensor(shape: [3], values: [1, -2, 0.5], dtype: .float32)
        let y = (x.to(.float32) * c).sum()
        let g = gradients(of: y, wrt: [x], createGraph: true)[0]
        XCTAssertEqual(g.dtype, .float64)
        XCTAssertEqual(g.scalars, [1, -2, 0.5])
        // d/dx of Σ (x³ in Float32) = 3x², through a conversion in both directions.
        let g2 = gradients(of: (x.to(.float32).pow(3)).sum(), wrt: [x], createGraph: true)[0]
        assertClose(g2, x.detached().squared() * 3, tolerance: 1e-6)
        let h = gradients(of: g2.sum(), wrt: [x])[0]   // 6x
        assertClose(h, x.detached() * 6, tolerance: 1e-6)
    }

    func testFloat32AndFloat64Agree() {
        let x = randn([3, 4], seed: 3)
        let f64 = (x.sigmoid() * x.tanh() + x.exp()).sum().item
        let f32 = (x.to(.float32).sigmoid() * x.to(.float32).tanh() + x.to(.float32).exp()).sum().item
        XCTAssertEqual(f32, f64, accuracy: 1e-5 * abs(f64))
    }
}
