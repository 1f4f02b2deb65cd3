import Datasets
import Foundation
import MetaLearning
import TestSupport
import XCTest

final class FewShotExperimentTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("FewShotExperimentTests-\(UUID().uuidString)")
        try writeImageClassFolders(at: root, classes: 10, imagesPerClass: 3)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func experiment(_ split: ImageClassSplit, ways: Int = 2) -> FewShotExperiment {
        var c = FewShotConfiguration(method: .protonets, ways: ways, shots: 1, queries: 2)
        c.imageSize = 16
        return FewShotExperiment(dataset: .images, sources: [root.path], queryAugmentation: .none, classSplit: split, training: c)
    }

    func testImageFolderClassesAreSplitThreeWays() throws {
        let split = ImageClassSplit(fractions: [0.6, 0.2, 0.2], seed: 1)
        let e = experiment(split)
        let sources = try e.classSources()
        XCTAssertEqual([sources.metaTrain.classCount, sources.metaValidation?.classCount, sources.metaTest.classCount], [6, 2, 2])
        let parts = try split.assign((0..<10).map { String(format: "class%02d", $0) })
        XCTAssertEqual((0..<2).map { sources.metaValidation!.className($0) }, parts.metaValidation)
        XCTAssertEqual(sources.metaTest.imageShape, [1, 16, 16])
        XCTAssertTrue(e.hasValidationClasses)
        XCTAssertTrue(try e.trainer(threads: 1).problem.hasValidationTasks)
        XCTAssertEqual(e.title, "Images(\(root.lastPathComponent)) 2-way 1-shot protonets")
        // Without a validation part the periodic evaluations use the meta-test classes.
        let noValidation = experiment(ImageClassSplit(fractions: [0.8, 0, 0.2], seed: 1))
        XCTAssertNil(try noValidation.classSources().metaValidation)
        XCTAssertFalse(noValidation.hasValidationClasses)
        XCTAssertFalse(try noValidation.trainer(threads: 1).problem.hasValidationTasks)
    }

    func testTooFewClassesForTheWaysNamesTheSplit() throws {
        let e = experiment(ImageClassSplit(fractions: [0.6, 0.2, 0.2], seed: 1), ways: 3)
        XCTAssertThrowsError(try e.trainer(threads: 1)) { error in
            XCTAssertEqual(error as? ImageDatasetError,
                           .tooFewClasses(source: "\(root.path) (meta-validation classes)", found: 2, expected: "at least 3 for 3-way episodes"))
        }
    }

    /// Checkpoints written before image folders store no `classSplit`; they decode with the default.
    func testOldExperimentsDecode() throws {
        let e = FewShotExperiment(training: FewShotConfiguration(method: .msr))
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(e)) as? [String: Any])
        XCTAssertNotNil(json.removeValue(forKey: "classSplit"))
        let old = try JSONDecoder().decode(FewShotExperiment.self, from: JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(old, e)
        XCTAssertEqual(old.classSplit, .default)
        let named = experiment(.named(metaTrain: ["class00"], metaValidation: [], metaTest: ["class01"]))
        XCTAssertEqual(try JSONDecoder().decode(FewShotExperiment.self, from: JSONEncoder().encode(named)), named)
        XCTAssertFalse(e.hasValidationClasses, "Omniglot has no validation classes")
    }
}
