import Tensors

/// conv2d by its definition: y[n, d, oy, ox] = b[d] + Σ x[n, c, oy·s − p + i, ox·s − p + j] w[d, c, i, j].
public func referenceConv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: (Int, Int), padding: (Int, Int)) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (d, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let oh = (h + 2 * padding.0 - kh) / stride.0 + 1, ow = (wd + 2 * padding.1 - kw) / stride.1 + 1
    let xs = x.scalars, ws = w.scalars, bs = b?.scalars
    var out = [Double](repeating: 0, count: n * d * oh * ow)
    for ni in 0..<n { for di in 0..<d { for oy in 0..<oh { for ox in 0..<ow {
        var s = bs?[di] ?? 0
        for ci in 0..<c { for i in 0..<kh { for j in 0..<kw {
            let iy = oy * stride.0 - padding.0 + i, ix = ox * stride.1 - padding.1 + j
            if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
            s += xs[((ni * c + ci) * h + iy) * wd + ix] * ws[((di * c + ci) * kh + i) * kw + j]
        } } }
        out[((ni * d + di) * oh + oy) * ow + ox] = s
    } } } }
    return Tensor(shape: [n, d, oh, ow], values: out, dtype: .float64)
}
