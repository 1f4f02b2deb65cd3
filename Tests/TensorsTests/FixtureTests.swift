import Foundation
import Tensors
import TestSupport
import XCTest

/// Reproduces the reference meta-gradients computed with PyTorch in float64 (`Fixtures/README.md`): the
/// query loss after an inner loop of SGD, and its gradients with respect to the initial inner parameters,
/// the outer parameters and the inner learning rate, second and first order.
///
/// Tolerance per tensor: ‖ours − ref‖ ≤ tol · max(‖ref‖, 1), tol = 1e-8 in Float64 and 1e-3 in Float32.
/// `MSR_FIXTURES=/path/to/dir` reads the JSON files from another directory.
final class FixtureTests: XCTestCase {
    struct Fixture {
        var name: String
        var innerSteps: Int
        var inputs: [String: Tensor]
        var expected: [Bool: Expected]   // keyed by secondOrder
    }
    struct Expected {
        var queryLoss: Double
        var gradInner: [Tensor]
        var gradOuter: [Tensor]
        var gradLR: Double
    }

    /// One meta-learning problem: the model, its loss, and which inputs are inner and outer parameters.
    struct Problem {
        var inner: [String]
        var outer: [String]
        /// Loss of the data set (`x`, `y`) under the parameters (all inputs, with inner ones replaced).
        var loss: (_ p: [String: Tensor], _ x: Tensor, _ y: Tensor) -> Tensor
    }

    static let problems: [String: Problem] = [
        // W = reshape(U·v) (4 × 6), ŷ = x·Wᵀ + b, MSE.
        "msr_fc": Problem(inner: ["v", "b"], outer: ["U"]) { p, x, y in
            let w = Tensor.matmul(p["U"]!, p["v"]!.reshaped([-1, 1])).reshaped([4, 6])
            return Tensor.meanSquaredError(Tensor.matmul(x, w, transposeB: true) + p["b"]!, y)
        },
        // Filter bank (2, 1, 3, 3) as (2, 1, 9), transformed by A (output channels), B (input channels),
        // C (kernel taps), then conv2d.
        "msr_conv2d": Problem(inner: ["weight"], outer: ["A", "B", "C"]) { p, x, y in
            let weight = p["weight"]!
            let w = weight.reshaped([weight.shape[0], weight.shape[1], 9])
                .contracted(axis: 0, with: p["A"]!)
                .contracted(axis: 1, with: p["B"]!)
                .contracted(axis: 2, with: p["C"]!)
                .reshaped(weight.shape)
            return Tensor.meanSquaredError(Tensor.conv2d(x, weight: w), y)
        },
        // conv2d (with bias) → batch norm (batch statistics) → ReLU → 2×2 max-pool → flatten → linear → CE.
        "conv_bn_ce": Problem(inner: ["conv_w", "conv_b", "bn_gamma", "bn_beta", "lin_w", "lin_b"], outer: []) { p, x, y in
            var h = Tensor.conv2d(x, weight: p["conv_w"]!, bias: p["conv_b"]!)
            h = Tensor.batchNorm(h, scale: p["bn_gamma"]!, shift: p["bn_beta"]!, epsilon: 1e-5).relu()
            h = h.maxPool2d(kernel: (2, 2)).flattened(from: 1)
            let logits = Tensor.matmul(h, p["lin_w"]!, transposeB: true) + p["lin_b"]!
            return Tensor.crossEntropy(logits: logits, labels: y.scalars.map { Int($0) })
        },
        // out[n, p] = Σⱼ W[p, j] · x[n, p + j], MSE.
        "locally_connected_1d": Problem(inner: ["weight"], outer: []) { p, x, y in
            let w = p["weight"]!                                                   // (P, 3)
            let cols = x.reshaped([x.shape[0], 1, 1, x.shape[1]]).unfolded(kernel: (1, w.shape[1]))  // (N, 3, P)
            return Tensor.meanSquaredError((cols * w.transposed()).sum(axis: 1), y)
        },
    ]

    /// Runs the inner loop and returns the query loss and its meta-gradients.
    static func metaGradients(_ fixture: Fixture, dtype: DType, secondOrder: Bool) -> Expected {
        let problem = problems[fixture.name]!
        var p: [String: Tensor] = [:]
        for (k, v) in fixture.inputs { p[k] = v.to(dtype) }
        for k in problem.inner + problem.outer + ["lr"] { p[k] = p[k]!.requiringGradient() }
        let initial = p
        for _ in 0..<fixture.innerSteps {
            let support = problem.loss(p, p["x_spt"]!, p["y_spt"]!)
            let g = gradients(of: support, wrt: problem.inner.map { p[$0]! }, createGraph: secondOrder)
            for (name, gi) in zip(problem.inner, g) { p[name] = p[name]! - p["lr"]! * gi }
        }
        let query = problem.loss(p, p["x_qry"]!, p["y_qry"]!)
        let targets = (problem.inner + problem.outer + ["lr"]).map { initial[$0]! }
        let g = gradients(of: query, wrt: targets)
        return Expected(queryLoss: query.item,
                        gradInner: Array(g[..<problem.inner.count]),
                        gradOuter: Array(g[problem.inner.count..<(problem.inner.count + problem.outer.count)]),
                        gradLR: g.last!.item)
    }

    static func fixtureDirectory() -> URL {
        if let path = ProcessInfo.processInfo.environment["MSR_FIXTURES"] { return URL(fileURLWithPath: path) }
        return Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    }

    static func load(_ url: URL) throws -> Fixture {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        func tensor(_ any: Any) -> Tensor {
            let d = any as! [String: Any]
            return Tensor(shape: d["shape"] as! [Int], values: (d["data"] as! [NSNumber]).map(\.doubleValue), dtype: .float64)
        }
        func expected(_ any: Any) -> Expected {
            let d = any as! [String: Any]
            return Expected(queryLoss: (d["query_loss"] as! NSNumber).doubleValue,
                            gradInner: (d["grad_inner"] as! [Any]).map(tensor),
                            gradOuter: (d["grad_outer"] as! [Any]).map(tensor),
                            gradLR: (d["grad_lr"] as! NSNumber).doubleValue)
        }
        return Fixture(name: json["name"] as! String, innerSteps: json["inner_steps"] as! Int,
                       inputs: (json["inputs"] as! [String: Any]).mapValues(tensor),
                       expected: [true: expected(json["second_order"]!), false: expected(json["first_order"]!)])
    }

    func testEveryFixtureFile() throws {
        let dir = Self.fixtureDirectory()
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(files.count, 4, "expected the four fixture problems in \(dir.path)")
        var checked = 0
        for file in files {
            let fixture = try Self.load(file)
            guard Self.problems[fixture.name] != nil else {
                XCTFail("\(file.lastPathComponent): no model for problem \(fixture.name)")
                continue
            }
            for (dtype, tol) in [(DType.float64, 1e-8), (DType.float32, 1e-3)] {
                for secondOrder in [true, false] {
                    let ours = Self.metaGradients(fixture, dtype: dtype, secondOrder: secondOrder)
                    let ref = fixture.expected[secondOrder]!
                    let what = "\(fixture.name) \(dtype) \(secondOrder ? "second" : "first") order"
                    assertClose(ours.queryLoss, ref.queryLoss, tolerance: tol, "\(what): query loss")
                    XCTAssertEqual(ours.gradInner.count, ref.gradInner.count)
                    XCTAssertEqual(ours.gradOuter.count, ref.gradOuter.count)
                    for (i, (a, b)) in zip(ours.gradInner, ref.gradInner).enumerated() {
                        assertClose(a, b, tolerance: tol, "\(what): grad_inner[\(i)]")
                    }
                    for (i, (a, b)) in zip(ours.gradOuter, ref.gradOuter).enumerated() {
                        assertClose(a, b, tolerance: tol, "\(what): grad_outer[\(i)]")
                    }
                    assertClose(ours.gradLR, ref.gradLR, tolerance: tol, "\(what): grad_lr")
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, files.count * 4)
    }

    /// The first- and second-order meta-gradients must differ where the problem has curvature through
    /// the inner step (guards against a second order that silently drops the graph).
    func testSecondOrderDiffersFromFirstOrder() throws {
        let fixture = try Self.load(Self.fixtureDirectory().appendingPathComponent("msr_fc.json"))
        let second = Self.metaGradients(fixture, dtype: .float64, secondOrder: true)
        let first = Self.metaGradients(fixture, dtype: .float64, secondOrder: false)
        XCTAssertGreaterThan(abs(second.gradLR - first.gradLR), 1)
    }
}
