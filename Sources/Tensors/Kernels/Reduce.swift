/// Reduction of the middle axis of a tensor viewed as (outer, n, inner): `out[o, i] = ⊕ₖ x[o, k, i]`.
@inline(__always)
func reduceMiddleAxis<T: FloatingPoint>(_ x: UnsafeBufferPointer<T>, outer: Int, n: Int, inner: Int,
                                        into out: UnsafeMutableBufferPointer<T>, isSum: Bool) { KernelProfile.time(.reductions) {
    if inner == 1 {
        for o in 0..<outer {
            let base = o * n
            if isSum {
                // Four partial sums: Swift does not reassociate floating-point adds on its own.
                var s0: T = 0, s1: T = 0, s2: T = 0, s3: T = 0
                var k = 0
                while k + 4 <= n {
                    s0 += x[base + k]; s1 += x[base + k + 1]; s2 += x[base + k + 2]; s3 += x[base + k + 3]
                    k += 4
                }
                while k < n { s0 += x[base + k]; k += 1 }
                out[o] = (s0 + s1) + (s2 + s3)
            } else {
                var m = -T.infinity
                for k in 0..<n { let v = x[base + k]; if v > m || v.isNaN { m = v } }
                out[o] = m
            }
        }
        return
    }
    for o in 0..<outer {
        let ob = o * inner
        if n == 0 {
            for i in 0..<inner { out[ob + i] = isSum ? 0 : -T.infinity }
            continue
        }
        let xb = o * n * inner
        for i in 0..<inner { out[ob + i] = x[xb + i] }
        for k in 1..<n {
            let row = xb + k * inner
            if isSum {
                for i in 0..<inner { out[ob + i] += x[row + i] }
            } else {
                for i in 0..<inner { let v = x[row + i]; if v > out[ob + i] || v.isNaN { out[ob + i] = v } }
            }
        }
    }
} }
