import Tensors
import XCTest

/// Checks every GEMM path (`_GemmTesting` paths) against a naive triple loop evaluated in Double:
/// `C ← op(A)·op(B) + (accumulate ? C : 0)` over all transpose combinations, awkward sizes and
/// padded leading dimensions.
final class MatrixMultiplyTests: XCTestCase {
    /// One problem: shapes, leading dimensions and random contents.
    struct Problem {
        var transposeA: Bool, transposeB: Bool, accumulate: Bool
        var m: Int, n: Int, k: Int
        var lda: Int, ldb: Int, ldc: Int
        var a: [Double], b: [Double], c: [Double]

        init(transposeA: Bool, transposeB: Bool, accumulate: Bool, m: Int, n: Int, k: Int,
             pad: Int = 0, seed: UInt64) {
            self.transposeA = transposeA; self.transposeB = transposeB; self.accumulate = accumulate
            self.m = m; self.n = n; self.k = k
            lda = (transposeA ? m : k) + pad
            ldb = (transposeB ? k : n) + 2 * pad
            ldc = n + 3 * pad
            var state = seed &* 6364136223846793005 &+ 1442695040888963407
            func next() -> Double {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Double(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
            }
            a = (0..<((transposeA ? k : m) * lda)).map { _ in next() }
            b = (0..<((transposeB ? n : k) * ldb)).map { _ in next() }
            c = (0..<(m * ldc)).map { _ in next() }
        }

        func opA(_ i: Int, _ p: Int) -> Double { transposeA ? a[p * lda + i] : a[i * lda + p] }
        func opB(_ p: Int, _ j: Int) -> Double { transposeB ? b[j * ldb + p] : b[p * ldb + j] }

        /// The exact-ish product and, per element, `Σ|a·b| + |C₀|` (the scale of rounding errors).
        func reference() -> (value: [Double], scale: [Double]) {
            // Elements outside the m×n window keep C₀ (scale |C₀| covers its conversion to Float).
            var value = c, scale = c.map { abs($0) }
            for i in 0..<m {
                for j in 0..<n {
                    var s = accumulate ? c[i * ldc + j] : 0
                    var t = accumulate ? abs(c[i * ldc + j]) : 0
                    for p in 0..<k {
                        let x = opA(i, p) * opB(p, j)
                        s += x
                        t += abs(x)
                    }
                    value[i * ldc + j] = s
                    scale[i * ldc + j] = t
                }
            }
            return (value, scale)
        }

        var label: String {
            "\(transposeA ? "Aᵀ" : "A")·\(transposeB ? "Bᵀ" : "B") m=\(m) n=\(n) k=\(k) " +
                "lda=\(lda) ldb=\(ldb) ldc=\(ldc) accumulate=\(accumulate)"
        }
    }

    static let transposes = [(false, false), (false, true), (true, false), (true, true)]

    /// Every transpose combination and accumulate mode over `shapes`.
    func sweep(_ shapes: [(Int, Int, Int)], paths: [String], pad: Int = 0,
               float: Bool = true, double: Bool = true) {
        var seed: UInt64 = 1
        for (m, n, k) in shapes {
            for (ta, tb) in Self.transposes {
                for accumulate in [false, true] {
                    seed += 1
                    let problem = Problem(transposeA: ta, transposeB: tb, accumulate: accumulate,
                                          m: m, n: n, k: k, pad: pad, seed: seed)
                    for path in paths { checkGemm(problem, path: path, float: float, double: double) }
                }
            }
        }
    }

    /// Sizes 1, 5, 17, 31 in every position, plus 100 and 257 in each of m, n and k.
    static let awkwardShapes: [(Int, Int, Int)] = {
        let small = [1, 5, 17, 31]
        var shapes: [(Int, Int, Int)] = []
        for m in small { for n in small { for k in small { shapes.append((m, n, k)) } } }
        shapes += [(100, 17, 31), (17, 100, 31), (31, 17, 100), (257, 5, 17), (5, 257, 17), (17, 31, 257),
                   (100, 100, 100)]
        return shapes
    }()

    func testBuiltInAwkwardShapes() {
        sweep(Self.awkwardShapes, paths: ["built-in"])
    }

    func testBuiltInLeadingDimensions() {
        sweep([(1, 1, 1), (5, 17, 31), (31, 5, 17), (17, 31, 5), (37, 41, 43), (100, 31, 257)],
              paths: ["built-in"], pad: 3)
    }

    func testEveryKernelDirectly() {
        // Each packed micro-kernel and the unpacked loops, whichever the dispatcher would pick.
        // (Fused kernels run as slow libcalls in builds without FMA, so the sizes stay moderate.)
        // n = 16 and 48: a last panel of exactly half a tile (nr/2 columns) for the 6×32 tiles; (16, 30, 70): the
        // task-batched MSR-FC's shapes, a last panel of 14 columns packed by whole vectors; (19, 68, 70): its query
        // product, whose transposed op(B) ends in a 4-column half panel on the 6×8 tile (too narrow for 8×8 transposes).
        // Every m here is at most 72 (12 slivers): whole panels of a row-major op(B) are read unpacked (only a narrower
        // last one packed), also across blocks of k (300) and of n (2100 > the Float kernels' 2048-column block); the
        // awkward shapes' m = 100 and 257 take the packed panels.
        let shapes = [(1, 1, 1), (6, 16, 4), (7, 33, 19), (13, 17, 300), (61, 70, 9), (5, 48, 9), (16, 30, 70), (19, 68, 70),
                      (4, 2100, 5)]
        let floatKernels = _GemmTesting.floatPaths.filter { !["auto", "built-in", "blas"].contains($0) && !TiledDotsTests.paths.contains($0) }
        let doubleKernels = _GemmTesting.doublePaths.filter { !["auto", "built-in", "blas"].contains($0) && !TiledDotsTests.paths.contains($0) }
        sweep(shapes, paths: floatKernels, pad: 1, double: false)
        sweep(shapes, paths: doubleKernels, pad: 1, float: false)
    }

    func testVectorShapes() {
        // Matrix·vector, vector·matrix and outer products through the dispatcher.
        sweep([(200, 1, 30), (1, 200, 30), (1, 1, 300), (40, 24, 1), (300, 2, 9)], paths: ["built-in"], pad: 2)
    }

    func testThinShapes() {
        // The unpacked special cases: U·v with rows of K ≤ 8 (compile-time row lengths), Uᵀ·g with up to 8
        // or up to 32 columns, outer products g·vᵀ with few or many columns, and rows whose length is
        // not a multiple of the vector width (overlapping last vectors), contiguous and padded.
        var shapes: [(Int, Int, Int)] = []
        for k in 1...9 { shapes.append((203, 1, k)) }                        // U·v
        for m in [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 24, 25, 30, 32] {
            shapes.append((m, 1, 203)); shapes.append((m, 1, 7))            // Uᵀ·g
        }
        for n in [1, 2, 3, 5, 8, 9, 30] { shapes.append((203, n, 1)); shapes.append((7, n, 1)) }   // g·vᵀ
        shapes += [(68, 70, 1), (1, 68, 70), (1, 70, 68), (3, 5, 2), (203, 3, 3), (37, 1, 30), (9, 30, 1)]
        // The task-batched MSR-FC's products (tasks × K × O·I): V·Uᵀ (rank-k updates with long rows), G·U and
        // Gᵀ·V (at most 4 columns), for K = 2 … 4 and row lengths that are and are not multiples of 8.
        for kk in 2...4 { shapes += [(16, 203, kk), (5, 64, kk), (16, kk, 203), (3, kk, 64), (203, kk, 16), (70, kk, 9)] }
        // Longer than one block of `SmallGemm.thinBlock` (512): two whole blocks and a part (1100 = 2·512 + 76, whose
        // 76 = 4·16 + 8 + 4 takes every width of the rank-k update's loop, and leaves 12 past the dot products' 16s).
        for kk in 2...4 { shapes += [(5, 1100, kk), (3, kk, 1100)] }
        shapes.append((70, 3, 1100))   // rows past one pass of `SmallGemm.thinRows` (64) as well
        for pad in [0, 1] { sweep(shapes, paths: ["built-in", "auto"], pad: pad) }
    }

    /// Gᵀ·V with three columns (rank1's task-batched ∂U), summed 16 rows at a time in registers, is bitwise the sum
    /// of the k outer products accumulated in order — ((A[0, i]·B[0, j] (+ C)) + A[1, i]·B[1, j]) + … — in Float, with
    /// B read plainly and transposed, and whole blocks of 16 rows and a tail.
    func testThreeColumnsFromTransposedAInOrder() {
        for (m, k, pad) in [(203, 16, 0), (203, 16, 2), (32, 1, 0), (48, 5, 1), (7, 3, 0)] {
            for (transposeB, accumulate) in [(false, false), (false, true), (true, false), (true, true)] {
                // A and B padded (lda = m + pad, ldb past its row), C contiguous (ldc = 3, what the path needs).
                let problem = Problem(transposeA: true, transposeB: transposeB, accumulate: accumulate, m: m, n: 3, k: k,
                                      pad: pad, seed: UInt64(m * 10 + k + pad))
                let (a, b) = (problem.a.map(Float.init), problem.b.map(Float.init))
                let c0 = Array(problem.c.prefix(m * 3).map(Float.init))
                var expected = c0
                for i in 0..<m {
                    for j in 0..<3 {
                        let bj = { (p: Int) -> Float in transposeB ? b[j * problem.ldb + p] : b[p * problem.ldb + j] }
                        var sum = a[i] * bj(0)
                        if accumulate { sum = c0[i * 3 + j] + sum }
                        for p in 1..<max(1, k) { sum = sum + a[p * problem.lda + i] * bj(p) }
                        expected[i * 3 + j] = sum
                    }
                }
                let c = _GemmTesting.gemm(path: "built-in", transposeA: true, transposeB: transposeB, m: m, n: 3, k: k,
                                          a: a, lda: problem.lda, b: b, ldb: problem.ldb, c: c0, ldc: 3, accumulate: accumulate)!
                XCTAssertEqual(c, expected, problem.label)
            }
        }
    }

    func testThinShapesPropagateInfinities() {
        // Overlapping tail vectors must not turn an infinite product into NaN (no 0·∞ on masked lanes).
        for (m, n, k, ta) in [(3, 1, 30, false), (30, 1, 5, true), (5, 1, 30, true), (5, 30, 1, false)] {
            var a = [Float](repeating: 1, count: m * k)
            a[a.count - 1] = .infinity
            let b = [Float](repeating: 1, count: k * n)
            let c = _GemmTesting.gemm(path: "built-in", transposeA: ta, transposeB: false, m: m, n: n, k: k,
                                      a: a, lda: ta ? m : k, b: b, ldb: n, c: [Float](repeating: 0, count: m * n),
                                      ldc: n, accumulate: false)!
            XCTAssertFalse(c.contains { $0.isNaN }, "m=\(m) n=\(n) k=\(k) transposeA=\(ta): \(c)")
            XCTAssertTrue(c.contains { $0 == .infinity }, "m=\(m) n=\(n) k=\(k) transposeA=\(ta)")
        }
    }

    func testKZeroClearsOrKeepsC() {
        for (ta, tb) in Self.transposes {
            for accumulate in [false, true] {
                let problem = Problem(transposeA: ta, transposeB: tb, accumulate: accumulate,
                                      m: 7, n: 9, k: 0, pad: 1, seed: 99)
                for path in ["auto", "built-in", "small", "fma-6x16-simd8"] { checkGemm(problem, path: path) }
                let got = _GemmTesting.gemm(path: "built-in", transposeA: ta, transposeB: tb, m: 7, n: 9, k: 0,
                                            a: [], lda: 1, b: [], ldb: 10, c: problem.c.map(Float.init),
                                            ldc: problem.ldc, accumulate: accumulate)!
                for i in 0..<7 {
                    for j in 0..<9 {
                        XCTAssertEqual(got[i * problem.ldc + j], accumulate ? Float(problem.c[i * problem.ldc + j]) : 0)
                    }
                }
            }
        }
    }

    func testEmptyOutputIsUntouched() {
        let c: [Float] = [1, 2, 3]
        XCTAssertEqual(_GemmTesting.gemm(path: "built-in", transposeA: false, transposeB: false, m: 0, n: 3, k: 4,
                                         a: [], lda: 4, b: Array(repeating: 1, count: 12), ldb: 3, c: c, ldc: 3,
                                         accumulate: false), c)
        XCTAssertEqual(_GemmTesting.gemm(path: "auto", transposeA: true, transposeB: true, m: 3, n: 0, k: 4,
                                         a: Array(repeating: 1, count: 12), lda: 3, b: [], ldb: 4, c: c, ldc: 1,
                                         accumulate: false), c)
    }

    func testBLASMatchesReference() throws {
        guard let name = MatmulConfiguration.blasLibraryName else {
            throw XCTSkip("no BLAS library loaded (MSR_BLAS=\(ProcessInfo.processInfo.environment["MSR_BLAS"] ?? "unset"))")
        }
        XCTAssertFalse(name.isEmpty)
        sweep([(1, 1, 1), (5, 17, 31), (31, 5, 17), (70, 68, 20), (100, 31, 257)], paths: ["blas", "auto"], pad: 2)
    }

    func testBackendOverrideIsScopedToTheCall() {
        XCTAssertNil(MatmulConfiguration.forcedBackend)
        MatmulConfiguration.withBackend(.builtIn) {
            XCTAssertEqual(MatmulConfiguration.forcedBackend, .builtIn)
            XCTAssertEqual(MatmulConfiguration.backend(m: 1000, n: 1000, k: 1000), .builtIn)
            MatmulConfiguration.withBackend(.blas) {
                XCTAssertEqual(MatmulConfiguration.forcedBackend, .blas)
                let expected: MatmulBackend = MatmulConfiguration.blasLibraryName == nil ? .builtIn : .blas
                XCTAssertEqual(MatmulConfiguration.backend(m: 2, n: 2, k: 2), expected)
            }
            XCTAssertEqual(MatmulConfiguration.forcedBackend, .builtIn)
            // The automatic path obeys the override (checked for correctness only).
            sweep([(70, 68, 20)], paths: ["auto"])
        }
        XCTAssertNil(MatmulConfiguration.forcedBackend)
        XCTAssertEqual(MatmulBackend(rawValue: "built-in"), .builtIn)
    }

    func testKernelSelectionIsReported() {
        let names = MatmulConfiguration.builtInKernelNames
        XCTAssertTrue(names.contains("/"), names)
        XCTAssertTrue(names.hasPrefix("fma") || names.hasPrefix("muladd"), names)
    }
}

/// Checking one GEMM path against `Problem.reference()` (also used by `TiledDotsTests`).
extension XCTestCase {
    /// Runs `path` in Float and Double and compares with the reference (padding of C included:
    /// elements outside the `m×n` window must stay untouched).
    func checkGemm(_ problem: MatrixMultiplyTests.Problem, path: String, float: Bool = true, double: Bool = true,
               file: StaticString = #filePath, line: UInt = #line) {
        let (expected, scale) = problem.reference()
        if float {
            guard let got = _GemmTesting.gemm(
                path: path, transposeA: problem.transposeA, transposeB: problem.transposeB,
                m: problem.m, n: problem.n, k: problem.k, a: problem.a.map(Float.init), lda: problem.lda,
                b: problem.b.map(Float.init), ldb: problem.ldb, c: problem.c.map(Float.init),
                ldc: problem.ldc, accumulate: problem.accumulate)
            else { return XCTFail("path \(path) unavailable", file: file, line: line) }
            compareGemm(got.map(Double.init), expected, scale, epsilon: Double(Float.ulpOfOne), problem.k,
                    "Float \(path) \(problem.label)", file: file, line: line)
        }
        if double {
            guard let got = _GemmTesting.gemm(
                path: path, transposeA: problem.transposeA, transposeB: problem.transposeB,
                m: problem.m, n: problem.n, k: problem.k, a: problem.a, lda: problem.lda,
                b: problem.b, ldb: problem.ldb, c: problem.c, ldc: problem.ldc, accumulate: problem.accumulate)
            else { return XCTFail("path \(path) unavailable", file: file, line: line) }
            compareGemm(got, expected, scale, epsilon: Double.ulpOfOne, problem.k,
                    "Double \(path) \(problem.label)", file: file, line: line)
        }
    }

    func compareGemm(_ got: [Double], _ expected: [Double], _ scale: [Double], epsilon: Double, _ k: Int,
                 _ label: String, file: StaticString, line: UInt) {
        XCTAssertEqual(got.count, expected.count, label, file: file, line: line)
        let factor = 2 * epsilon * Double(k + 2)
        for index in expected.indices where !(abs(got[index] - expected[index]) <= factor * scale[index] + 1e-300) {
            return XCTFail("\(label): element \(index) is \(got[index]), expected \(expected[index])",
                           file: file, line: line)
        }
    }
}
