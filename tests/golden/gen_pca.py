"""gen_pca.py: the PCA reference (tests/golden/pca.bin) for tests/c/test_inspect.c: numpy's eigh of the
covariance, checked against numpy's SVD of the centred data, on small fixed data sets.

The data come from a linear congruential generator written here (not numpy's random streams), so the inputs
are the same under any numpy; numpy is only the reference. Run with /usr/bin/python3 (Debian's numpy);
CI needs neither, only the committed file. Format: tests/golden/README.md (RNLGOLD1), without torch.

Records per case: X (n, d) the data; mean (d); axes (k, d) unit principal axes, largest variance first;
var (k) variances (covariance with n - 1); proj (n, k) the rows projected. Sign rule (as rnnlab_inspect.h):
each axis's entry of largest magnitude is positive, the first on a tie.
"""
import math
import os
import struct

import numpy as np

MAGIC, VERSION, DT_F64 = b"RNLGOLD1", 1, 0


class Lcg:
    """Numerical Recipes' 32-bit LCG; uniform(-1, 1) and a Box-Muller normal."""

    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFF

    def uniform(self):
        self.s = (1664525 * self.s + 1013904223) & 0xFFFFFFFF
        return (self.s + 0.5) / 2**32 * 2 - 1

    def normal(self):
        u1, u2 = (self.uniform() + 1) / 2, (self.uniform() + 1) / 2
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


def data(seed, n, d, scales, squash):
    """n rows of d: independent normals scaled per latent direction, mixed by a fixed random matrix, and
    squashed by tanh (like hidden states) if asked."""
    g = Lcg(seed)
    z = np.array([[g.normal() * scales[j % len(scales)] for j in range(d)] for _ in range(n)])
    mix = np.array([[g.uniform() for _ in range(d)] for _ in range(d)])
    x = z @ mix + np.array([g.uniform() for _ in range(d)])
    return np.tanh(x) if squash else x


def sign_fix(v):
    return v if v[np.argmax(np.abs(v))] >= 0 else -v


def pca(x, k):
    mean = x.mean(axis=0)
    cov = np.cov(x, rowvar=False, ddof=1)
    vals, vecs = np.linalg.eigh(cov)  # rising
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    gaps = np.diff(vals[: k + 1])
    assert np.all(-gaps > 1e-3 * vals[0]), "eigenvalues too close: the axes would not be defined"
    axes = np.array([sign_fix(vecs[:, i]) for i in range(k)])
    # The same through the SVD of the centred data.
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    assert np.allclose(s[:k] ** 2 / (len(x) - 1), vals[:k], rtol=1e-10)
    assert np.allclose(np.array([sign_fix(vt[i]) for i in range(k)]), axes, atol=1e-10)
    return mean, axes, vals[:k], (x - mean) @ axes.T


def rec(name, arr):
    arr = np.asarray(arr, dtype=np.float64)
    shape = list(arr.shape)
    return (name, shape, struct.pack("<%dd" % arr.size, *arr.reshape(-1).tolist()))


def main():
    cases = []
    for name, seed, n, d, k, scales, squash in [
        ("gauss_40x5_k2", 1, 40, 5, 2, [3.0, 1.5, 0.7, 0.3, 0.1], False),
        ("states_200x16_k2", 2, 200, 16, 2, [2.0, 1.0, 0.5, 0.25], True),
        ("gauss_30x8_k8", 3, 30, 8, 8, [4, 3, 2.2, 1.6, 1.1, 0.7, 0.4, 0.2], False),
    ]:
        x = data(seed, n, d, scales, squash)
        mean, axes, var, proj = pca(x, k)
        cases.append((name, [rec("X", x), rec("mean", mean), rec("axes", axes), rec("var", var), rec("proj", proj)]))
    buf = bytearray(MAGIC) + struct.pack("<II", VERSION, len(cases))
    for name, recs in cases:
        nb = name.encode()
        buf += struct.pack("<I", len(nb)) + nb + struct.pack("<I", len(recs))
        for rname, shape, data_bytes in recs:
            rb = rname.encode()
            buf += struct.pack("<I", len(rb)) + rb + struct.pack("<II", DT_F64, len(shape))
            buf += struct.pack("<%dI" % len(shape), *shape) + data_bytes
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pca.bin")
    with open(path + ".tmp", "wb") as f:
        f.write(buf)
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(cases)} cases, {len(buf)} bytes")


if __name__ == "__main__":
    main()
