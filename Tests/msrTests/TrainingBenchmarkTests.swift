import Foundation
import XCTest

/// `msr bench train` end to end with tiny settings: the speed table and its time split.
final class TrainingBenchmarkTests: CommandLineTestCase {
    /// A row per (model, threads) in the speed table and in the time split, whose nine shares add up to the
    /// sample's CPU time (to the rounding of 9 whole percentages), products claiming a share.
    func testTinyRunPrintsTheSpeedAndTheTimeSplit() throws {
        let r = try msr(["bench", "train", "--problem", "rank1", "--models", "msr-fc", "fc", "--steps", "3", "--repeats", "1",
                         "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("Where the CPU time goes"), r.out)
        let split = r.out.split(separator: "\n").filter { $0.hasPrefix("msr-fc, 1") || $0.hasPrefix("fc, 1") }
        XCTAssertEqual(split.count, 2, r.out)
        for row in split {
            let shares = row.split(separator: " ").filter { $0.hasSuffix("%") }.compactMap { Double($0.dropLast()) }
            XCTAssertEqual(shares.count, 9, String(row))
            XCTAssertEqual(shares.reduce(0, +), 100, accuracy: 5, String(row))
            XCTAssertGreaterThan(shares[0], 0, String(row))
        }
    }
}
