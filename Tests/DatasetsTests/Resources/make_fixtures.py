"""Writes the NumPy fixtures of DatasetsTests (run from this folder with numpy installed).

tasks_savez.npz / tasks_savez_compressed.npz (np.savez / np.savez_compressed, same arrays):
  x      (3, 20, 1, 70) float32   x.flat[i] = float32(i / 1000 - 2)
  w      (3, 1, 1, 1, 68, 3) float32   w[t, 0, 0, 0, p, j] = float32((t + 1) * (j - 1) / 4 + p / 100)
  y      (3, 20, 1, 68) float32   y[t, n, 0, p] = sum_j x[t, n, 0, p + j] * w[t, 0, 0, 0, p, j]  (float32)
  labels (3,) int64 = [7, -1, 3]; mask (3,) bool = [True, False, True]; counts (4,) int32 = [1, 2, 3, -4];
  pixels (2, 2) uint8 = [[0, 255], [16, 1]]; temperature () float64 = 0.25   (extra arrays to be ignored)
matrix_v2.npy, matrix_v3.npy: (2, 3) float64 = arange(6) * 0.5, written with format versions 2.0 and 3.0.
"""
import numpy as np

x = (np.arange(3 * 20 * 70) / 1000 - 2).astype(np.float32).reshape(3, 20, 1, 70)
t, p, j = np.meshgrid(np.arange(3), np.arange(68), np.arange(3), indexing="ij")
w = ((t + 1) * (j - 1) / 4 + p / 100).astype(np.float32).reshape(3, 1, 1, 1, 68, 3)
windows = np.stack([x[..., k:k + 68] for k in range(3)], axis=-1)  # (3, 20, 1, 68, 3)
y = (windows * w[:, 0, 0, 0][:, None, None]).sum(-1, dtype=np.float32).astype(np.float32)
extra = dict(labels=np.array([7, -1, 3], dtype=np.int64), mask=np.array([True, False, True]),
             counts=np.array([1, 2, 3, -4], dtype=np.int32), pixels=np.array([[0, 255], [16, 1]], dtype=np.uint8),
             temperature=np.float64(0.25))
np.savez("tasks_savez.npz", x=x, y=y, w=w, **extra)
np.savez_compressed("tasks_savez_compressed.npz", x=x, y=y, w=w, **extra)
m = np.arange(6, dtype=np.float64).reshape(2, 3) * 0.5
for version in [(2, 0), (3, 0)]:
    with open(f"matrix_v{version[0]}.npy", "wb") as f:
        np.lib.format.write_array(f, m, version=version)
