import Foundation
import TestSupport
import XCTest

/// `msr train --problem images --images DIR` and `msr eval` end to end on class folders the tests write (8
/// classes × 6 grey 12×12 PNG images, read at 16×16), for every method, with tiny settings; and the errors a
/// user meets.
final class ImageFolderCommandLineTests: CommandLineTestCase {
    var images: String { path("classes") }

    override func setUpWithError() throws {
        try super.setUpWithError()
        try writeImageClassFolders(at: URL(fileURLWithPath: images), classes: 8, imagesPerClass: 6)
    }

    /// 2-way 1-shot, 2 queries, classes split 4 / 2 / 2, width 4, 2 steps.
    var tiny: [String] {
        ["--problem", "images", "--images", images, "--image-size", "16", "--class-split", "0.5,0.25,0.25", "--ways", "2",
         "--queries", "2", "--width", "4", "--steps", "2", "--meta-batch", "2", "--validation-episodes", "2",
         "--test-episodes", "4", "--threads", "2", "--no-augment-queries"]
    }

    func trainAndEvaluate(_ method: String) throws {
        let checkpoint = path("ck-\(method)")
        let train = try msr(["train", "--method", method, "--checkpoint", checkpoint] + tiny)
        XCTAssertEqual(train.status, 0, train.err + train.out)
        XCTAssertTrue(train.out.contains("Images(classes) 2-way 1-shot \(method): 4 meta-train / 2 meta-validation / 2 meta-test classes"), train.out)
        XCTAssertTrue(train.out.contains("step 2: meta-validation accuracy"), train.out)
        XCTAssertTrue(train.out.contains("meta-test accuracy") && train.out.contains("on 4 episodes"), train.out)
        let eval = try msr(["eval", "--checkpoint", checkpoint, "--test-tasks", "3"])
        XCTAssertEqual(eval.status, 0, eval.err + eval.out)
        XCTAssertTrue(eval.out.contains("after 2 steps: meta-test accuracy"), eval.out)
        XCTAssertTrue(eval.out.contains("on 3 episodes"), eval.out)
    }

    func testMAML() throws { try trainAndEvaluate("maml") }
    func testANIL() throws { try trainAndEvaluate("anil") }
    func testProtoNets() throws { try trainAndEvaluate("protonets") }
    func testMSR() throws { try trainAndEvaluate("msr") }

    /// Colour images (3 channels, inferred) split by list files; the checkpoint records both, with the folder
    /// as an absolute path, so `eval` works from anywhere.
    func testColourImagesAndListFiles() throws {
        let colour = path("colour")
        try writeImageClassFolders(at: URL(fileURLWithPath: colour), classes: 5, imagesPerClass: 4, colour: true, jpegEvery: 2)
        try Data("class00\nclass01\nclass02\n".utf8).write(to: URL(fileURLWithPath: path("train.txt")))
        try Data("class03\nclass04\n".utf8).write(to: URL(fileURLWithPath: path("test.txt")))
        let checkpoint = path("ck-colour")
        let r = try msr(["train", "--problem", "images", "--images", colour, "--train-classes", path("train.txt"),
                         "--test-classes", path("test.txt"), "--method", "protonets", "--image-size", "16", "--ways", "2",
                         "--queries", "2", "--width", "4", "--steps", "2", "--validation-episodes", "2", "--test-episodes", "2",
                         "--checkpoint", checkpoint])
        XCTAssertEqual(r.status, 0, r.err + r.out)
        XCTAssertTrue(r.out.contains("3 meta-train / 2 meta-test classes"), r.out)
        XCTAssertTrue(r.out.contains("step 2: meta-test accuracy"), "no validation classes: periodic evaluations use the meta-test classes\n" + r.out)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: checkpoint + "/experiment.json"))) as? [String: Any])
        XCTAssertEqual((json["training"] as? [String: Any])?["imageChannels"] as? Int, 3)
        XCTAssertEqual(json["sources"] as? [String], [URL(fileURLWithPath: colour).standardizedFileURL.path])
        let named = try XCTUnwrap((json["classSplit"] as? [String: Any])?["named"] as? [String: Any])
        XCTAssertEqual(named["metaTest"] as? [String], ["class03", "class04"])
    }

    func testErrorsSayWhatWasExpected() throws {
        try assertFails(["train", "--problem", "images", "--steps", "1"], mentioning: ["--images"])
        try assertFails(["train", "--problem", "omniglot", "--images", images, "--steps", "1"], mentioning: ["--images needs --problem images"])
        try assertFails(["train", "--problem", "images", "--images", path("none"), "--steps", "1"], mentioning: [path("none"), "no such file or folder"])
        try assertFails(["train"] + tiny.map { $0 == "0.5,0.25,0.25" ? "0.5,0.5" : $0 }, mentioning: ["--class-split", "three fractions"])
        try assertFails(["train"] + tiny.map { $0 == "0.5,0.25,0.25" ? "0.5,0.3,0.3" : $0 }, mentioning: ["adding up to 1"])
        // Fewer classes than ways: the meta-validation split has 2.
        try assertFails(["train"] + tiny + ["--ways", "3"], mentioning: ["\(images) (meta-validation classes): has only 2 classes", "3-way"])
        // Fewer images than shots + queries.
        try assertFails(["train"] + tiny + ["--queries", "6"], mentioning: ["has only 6 images", "at least 7"])
        // A list file naming a folder that is not there.
        try Data("class00\ncats\n".utf8).write(to: URL(fileURLWithPath: path("train.txt")))
        try Data("class07\n".utf8).write(to: URL(fileURLWithPath: path("test.txt")))
        try assertFails(["train", "--problem", "images", "--images", images, "--train-classes", path("train.txt"), "--test-classes", path("test.txt")],
                        mentioning: ["\(images)/cats", "\(path("train.txt")), line 2"])
        try assertFails(["train", "--problem", "images", "--images", images, "--train-classes", path("train.txt")],
                        mentioning: ["--train-classes and --test-classes"])
        // An unreadable image (image02 of every class, so that the first episodes meet one) stops training
        // with its path.
        for c in 0..<8 { try Data("broken".utf8).write(to: URL(fileURLWithPath: images).appendingPathComponent(String(format: "class%02d/image02.png", c))) }
        try assertFails(["train", "--method", "protonets"] + tiny, mentioning: ["\(images)/class0", "/image02.png: not a readable image"])
        // A class folder with no image.
        try FileManager.default.createDirectory(atPath: path("classes/empty"), withIntermediateDirectories: true)
        try assertFails(["train"] + tiny, mentioning: [path("classes/empty"), "has only 0 images"])
    }
}
