@testable import msr
import XCTest

final class AxisScaleTests: XCTestCase {
    func testLinearAxisWidensToRoundTicks() {
        let axis = AxisScale(covering: [0.77, 2.9, .nan], logarithmic: false, from: 0, to: 100)
        XCTAssertEqual(axis.low, 0.5)
        XCTAssertEqual(axis.high, 3)
        XCTAssertEqual(axis.ticks, [0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual(axis.position(0.5), 0)
        XCTAssertEqual(axis.position(3), 100)
        XCTAssertEqual(axis.position(1.75), 50, accuracy: 1e-12)
    }

    /// A y axis maps its low end to the bottom (the larger pixel coordinate).
    func testLogarithmicAxisTicksAtDecades() {
        let axis = AxisScale(covering: [0.004, 2.8, -1], logarithmic: true, from: 300, to: 0)
        XCTAssertEqual(axis.ticks.first!, 0.005, accuracy: 1e-12)
        XCTAssertTrue(axis.ticks.contains(1) && axis.ticks.contains(0.01))
        XCTAssertEqual(axis.position(axis.low), 300)
        XCTAssertEqual(axis.position(axis.high), 0, accuracy: 1e-9)
        XCTAssertGreaterThan(axis.position(0.01), axis.position(1))
        let wide = AxisScale(covering: [1e-5, 10], logarithmic: true, from: 0, to: 1)
        XCTAssertEqual(wide.ticks.count, 7)   // 1e-5 … 10, powers of ten only
    }

    func testNiceStepAndLabels() {
        XCTAssertEqual(AxisScale.niceStep(0.13), 0.2)
        XCTAssertEqual(AxisScale.niceStep(3), 5)
        XCTAssertEqual(AxisScale.niceStep(7), 10)
        XCTAssertEqual(AxisScale.label(0.5), "0.5")
        XCTAssertEqual(AxisScale.label(2), "2")
        XCTAssertEqual(AxisScale.label(-0.7625), "-0.7625")
        XCTAssertEqual(AxisScale.label(0.0001234), "0.000123")
        XCTAssertEqual(AxisScale.label(250000), "2.5e+05")
    }
}
