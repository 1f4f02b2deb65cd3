import NeuralNets
import Tensors
import TestSupport
import XCTest

/// Segments of a task-batched computation: each segment's copy repeated for its tasks, its gradient that
/// segment's own; tensors derived once per computation.
final class TaskSegmentsTests: XCTestCase {
    func parameters(_ values: [Double]) -> Parameters {
        Parameters(["v": Tensor(shape: [2], values: values, dtype: .float64), "rate": Tensor(values[0], dtype: .float64)])
    }

    func testRepeatedPerTaskAndItsGradient() {
        let copies = [parameters([1, 2]).requiringGradient(), parameters([3, 4]).requiringGradient()]
        let segments = TaskSegments(parameters: copies, taskCounts: [2, 3])
        XCTAssertEqual(segments.taskCount, 5)
        XCTAssertEqual(segments.copies("v").map(\.scalars), [[1, 2], [3, 4]])
        let v = segments.repeatedPerTask("v"), rate = segments.repeatedPerTask("rate")
        XCTAssertEqual(v.shape, [5, 2])
        XCTAssertEqual(v.detached().scalars, [1, 2, 1, 2, 3, 4, 3, 4, 3, 4])
        XCTAssertEqual(rate.detached().scalars, [1, 1, 3, 3, 3])
        // Task t's weight w_t: each copy's gradient sums its own tasks' weights only.
        let w = Tensor(shape: [5, 2], values: (0..<10).map { Double($0) }, dtype: .float64)
        let g = gradients(of: (v * w).sum() + (rate * Tensor(shape: [5], values: [1, 2, 3, 4, 5], dtype: .float64)).sum(),
                          wrt: [copies[0]["v"], copies[1]["v"], copies[0]["rate"], copies[1]["rate"]])
        XCTAssertEqual(g[0].scalars, [0 + 2, 1 + 3])
        XCTAssertEqual(g[1].scalars, [4 + 6 + 8, 5 + 7 + 9])
        XCTAssertEqual(g[2].item, 1 + 2)
        XCTAssertEqual(g[3].item, 3 + 4 + 5)
    }

    /// `derived` makes its tensors once for a value and every copy of it; a new value starts empty.
    func testDerivedOnce() {
        let segments = TaskSegments(parameters([1, 2]), taskCount: 4)
        XCTAssertNil(segments.derivedIfMade("double"))
        var made = 0
        let make = { () -> [Tensor] in made += 1; return segments.copies("v").map { $0 * 2 } }
        let first = segments.derived("double", make)
        let copy = segments
        let second = copy.derived("double", make)
        XCTAssertEqual(made, 1)
        XCTAssertEqual(first.map(\.scalars), [[2, 4]])
        XCTAssertEqual(second.map(\.scalars), first.map(\.scalars))
        XCTAssertNotNil(copy.derivedIfMade("double"))
        XCTAssertNil(TaskSegments(parameters([1, 2]), taskCount: 4).derivedIfMade("double"))
    }
}
