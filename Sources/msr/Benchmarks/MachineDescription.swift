import Foundation

/// The machine a benchmark ran on, printed at the top of every `msr bench` table so that a figure always names its
/// CPU: the model, its clock as the kernel reports it, the vector extensions that decide the kernels' speed, and the
/// measured single-thread multiply-add peak of this build (`peakGFLOPS`), beside which matmul rates are read.
struct MachineDescription {
    var model: String
    var megahertz: Double?
    /// The extensions among sse4_2, avx, avx2, fma, avx512f, avx512bw, avx512vl, avx512_bf16, avx512_vnni present.
    var features: [String]
    var logicalCores: Int

    static let interesting = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16"]

    /// Read from /proc/cpuinfo (Linux); elsewhere the model is "unknown" and no features are listed.
    static func current() -> MachineDescription {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix(name) }.flatMap { line in
                line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
            }
        }
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        return MachineDescription(model: field("model name") ?? "unknown CPU", megahertz: field("cpu MHz").flatMap(Double.init),
                                  features: interesting.filter(flags.contains), logicalCores: ProcessInfo.processInfo.activeProcessorCount)
    }

    var line: String {
        "machine: \(model), \(megahertz.map { String(format: "%.0f MHz", $0) } ?? "clock unknown"), \(logicalCores) logical cores; "
            + "vector extensions: \(features.isEmpty ? "none of \(Self.interesting.joined(separator: ", "))" : features.joined(separator: " "))"
            + (features.contains("avx512f") ? "" : " (no AVX-512)")
    }

    /// The single-thread Float32 multiply-add peak of this build, GFLOP/s (2 FLOP per multiply-add): twelve
    /// independent vector accumulators (enough to hide the latency of a fused multiply-add), for 8- and 16-lane
    /// vectors, fused (`addingProduct`) and separate (a·b + c), the best of them, median of `samples`.
    static func peakGFLOPS(samples: Int = 5) -> (gflops: Double, form: String) {
        var best = (0.0, "")
        for (name, rate) in [("SIMD8 fused", measure(SIMD8<Float>.self, fused: true, samples: samples)),
                             ("SIMD16 fused", measure(SIMD16<Float>.self, fused: true, samples: samples)),
                             ("SIMD8 separate", measure(SIMD8<Float>.self, fused: false, samples: samples)),
                             ("SIMD16 separate", measure(SIMD16<Float>.self, fused: false, samples: samples))] where rate > best.0 {
            best = (rate, name)
        }
        return best
    }

    @inline(never)
    static func measure<V: SIMD>(_: V.Type, fused: Bool, samples: Int) -> Double where V.Scalar == Float {
        let iterations = 2_000_000
        var rates: [Double] = []
        for _ in 0..<samples {
            var acc = (0..<12).map { V(repeating: Float($0) * 1e-3) }
            let b = V(repeating: 0.999_999), c = V(repeating: 1e-7)
            let t = Measure.time {
                acc.withUnsafeMutableBufferPointer { a in
                    var (a0, a1, a2, a3, a4, a5) = (a[0], a[1], a[2], a[3], a[4], a[5])
                    var (a6, a7, a8, a9, a10, a11) = (a[6], a[7], a[8], a[9], a[10], a[11])
                    if fused {
                        for _ in 0..<iterations {
                            a0 = a0.addingProduct(a0, b); a1 = a1.addingProduct(a1, b); a2 = a2.addingProduct(a2, b)
                            a3 = a3.addingProduct(a3, b); a4 = a4.addingProduct(a4, b); a5 = a5.addingProduct(a5, b)
                            a6 = a6.addingProduct(a6, b); a7 = a7.addingProduct(a7, b); a8 = a8.addingProduct(a8, b)
                            a9 = a9.addingProduct(a9, b); a10 = a10.addingProduct(a10, b); a11 = a11.addingProduct(a11, b)
                        }
                    } else {
                        for _ in 0..<iterations {
                            a0 = a0 * b + c; a1 = a1 * b + c; a2 = a2 * b + c; a3 = a3 * b + c; a4 = a4 * b + c; a5 = a5 * b + c
                            a6 = a6 * b + c; a7 = a7 * b + c; a8 = a8 * b + c; a9 = a9 * b + c; a10 = a10 * b + c; a11 = a11 * b + c
                        }
                    }
                    (a[0], a[1], a[2], a[3], a[4], a[5]) = (a0, a1, a2, a3, a4, a5)
                    (a[6], a[7], a[8], a[9], a[10], a[11]) = (a6, a7, a8, a9, a10, a11)
                }
            }
            // Keep the result observable so the loop is not removed.
            if acc.reduce(0, { $0 + $1.sum() }).isNaN { print("") }
            rates.append(2.0 * Double(V.scalarCount) * 12 * Double(iterations) / t * 1e-9)
        }
        return Measure.median(rates)
    }

    /// The single-thread memory bandwidth, GB/s: the triad a[i] = b[i] + s·c[i] over three arrays of `megabytes` each
    /// (far beyond the caches), counting the two arrays read and the one written (3 × size per pass), median of
    /// `samples` passes after one that faults the pages in. With the multiply-add peak it is the machine's roofline:
    /// a kernel that moves B bytes and does F FLOP takes at least max(F / peak, B / bandwidth).
    static func bandwidthGBps(megabytes: Int = 64, samples: Int = 5) -> Double {
        let count = megabytes << 18   // floats
        let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        b.initialize(repeating: 1, count: count)
        c.initialize(repeating: 2, count: count)
        a.initialize(repeating: 0, count: count)
        var rates: [Double] = []
        for _ in 0..<samples {
            let t = Measure.time { triad(a, b, c, count: count, scale: 0.5) }
            rates.append(3.0 * Double(count * MemoryLayout<Float>.size) / t * 1e-9)
        }
        if a[count / 2].isNaN { print("") }
        return Measure.median(rates)
    }

    @inline(never)
    static func triad(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>, count: Int, scale: Float) {
        var i = 0
        let s = SIMD16<Float>(repeating: scale)
        while i + 16 <= count {
            let v = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self) + s * UnsafeRawPointer(c + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(a + i).storeBytes(of: v, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { a[i] = b[i] + scale * c[i]; i += 1 }
    }
}
