import Foundation
import TestSupport
import XCTest

/// `msr snap` end to end on a small trained MSR-FC: U snapped onto translation has defect at rounding level,
/// the snapped checkpoint is written and evaluated beside the original on the same held-out tasks; user
/// mistakes are messages, not traps.
final class SnapCommandLineTests: CommandLineTestCase {
    func testSnapShortRank1RunOntoTranslation() throws {
        let common = ["--tasks", "300", "--steps", "600", "--test-tasks", "40", "--eval-interval", "1000", "--threads", "2"]
        XCTAssertEqual(try msr(["train", "--checkpoint", path("msr")] + common).status, 0)
        let r = try msr(["snap", "--checkpoint", path("msr"), "--group", "translation", "--output", path("snapped"), "--json", "--samples", "10"])
        XCTAssertEqual(r.status, 0, r.err)
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        let layer = try XCTUnwrap((json["layers"] as? [[String: Any]])?.first)
        XCTAssertEqual(layer["group"] as? String, "translation")
        XCTAssertLessThan(try XCTUnwrap(layer["defectAfter"] as? Double), 1e-6)
        XCTAssertGreaterThan(try XCTUnwrap(layer["defectBefore"] as? Double), 1e-4)
        let before = json["unsnapped"] as! [String: Any], after = json["snapped"] as! [String: Any]
        XCTAssertEqual(before["episodes"] as? Int, 40)
        XCTAssertEqual(after["episodes"] as? Int, 40)
        let (m0, h0, m1) = (before["mean"] as! Double, before["halfWidth95"] as! Double, after["mean"] as! Double)
        XCTAssertLessThanOrEqual(m1, m0 + h0, "snapped \(m1) vs unsnapped \(m0) ± \(h0)")
        // The snapped checkpoint evaluates alone to the same figure, and its U is exactly translation-equivariant.
        let e = try msr(["eval", "--checkpoint", path("snapped"), "--json"])
        XCTAssertEqual(e.status, 0, e.err)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(e.out.utf8)) as! [String: Any])["mean"] as? Double, m1)
        let inspect = try msr(["inspect", "--checkpoint", path("snapped"), "--json", "--samples", "5"])
        let layers = (try JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as! [String: Any])["layers"] as! [[String: Any]]
        let group = layers[0]["group"] as! [String: Any]
        XCTAssertEqual((group["named"] as? [String: Any])?["name"] as? String, "translation")
        // Orthonormalised: the same initial weights, so the same held-out tasks give a figure of the same size.
        let o = try msr(["snap", "--checkpoint", path("msr"), "--group", "named", "--output", path("ortho"), "--orthonormalise"])
        XCTAssertEqual(o.status, 0, o.err)
        XCTAssertTrue(o.out.contains("orthonormalised") && o.out.contains("snapped:"), o.out)
    }

    func testSnapMistakesAreMessages() throws {
        let common = ["--tasks", "20", "--steps", "2", "--meta-batch", "2", "--test-tasks", "3", "--threads", "1"]
        XCTAssertEqual(try msr(["train", "--checkpoint", path("msr")] + common).status, 0)
        XCTAssertEqual(try msr(["train", "--model", "fc", "--checkpoint", path("fc")] + common).status, 0)
        try assertFails(["snap", "--checkpoint", path("msr"), "--group", "c4", "--output", path("a")],
                        mentioning: ["unknown group ‘c4’", "translation"])
        try assertFails(["snap", "--checkpoint", path("fc"), "--group", "translation", "--output", path("b")],
                        mentioning: ["cannot snap", "no MSR layer"])
        try assertFails(["snap", "--checkpoint", path("msr"), "--group", "translation", "--output", path("c"), "--layer", "head"],
                        mentioning: ["no weight layer ‘head’"])
        try assertFails(["snap", "--checkpoint", path("msr"), "--group", "translation", "--output", path("msr")],
                        mentioning: ["--output must be another directory"])
        XCTAssertEqual(try msr(["snap", "--checkpoint", path("msr"), "--group", "translation", "--output", path("d")]).status, 0)
        try assertFails(["snap", "--checkpoint", path("msr"), "--group", "translation", "--output", path("d")], mentioning: ["already holds a checkpoint"])
    }
}
