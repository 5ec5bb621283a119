#!/usr/bin/env python3
"""Bjontegaard delta rate (VCEG-M33): average bit-rate difference of curve B
against curve A over their common PSNR range, from cubic fits of log-rate as
a function of PSNR. Usage as a module: bd_rate([(rate, psnr), ...], [...])."""
import math


def _polyfit3(xs, ys):
    # Least squares cubic through the points (4 points: exact fit).
    n = 4
    a = [[sum(x ** (i + j) for x in xs) for j in range(n)] for i in range(n)]
    b = [sum(y * x ** i for x, y in zip(xs, ys)) for i in range(n)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[piv] = a[piv], a[col]
        b[col], b[piv] = b[piv], b[col]
        for r in range(n):
            if r != col:
                f = a[r][col] / a[col][col]
                for c in range(col, n):
                    a[r][c] -= f * a[col][c]
                b[r] -= f * b[col]
    return [b[i] / a[i][i] for i in range(n)]


def _integral(p, lo, hi):
    def prim(x):
        return sum(c * x ** (i + 1) / (i + 1) for i, c in enumerate(p))
    return prim(hi) - prim(lo)


def bd_rate(anchor, test):
    """Percent rate change of `test` relative to `anchor` at equal PSNR
    (negative: test needs fewer bits)."""
    pa = _polyfit3([q for _, q in anchor], [math.log(r) for r, _ in anchor])
    pt = _polyfit3([q for _, q in test], [math.log(r) for r, _ in test])
    lo = max(min(q for _, q in anchor), min(q for _, q in test))
    hi = min(max(q for _, q in anchor), max(q for _, q in test))
    if hi <= lo:
        raise ValueError("the PSNR ranges do not overlap")
    diff = (_integral(pt, lo, hi) - _integral(pa, lo, hi)) / (hi - lo)
    return (math.exp(diff) - 1) * 100


if __name__ == "__main__":
    # Self-check: a curve shifted to 10% fewer bits everywhere gives -10%.
    a = [(1000, 30.0), (2000, 33.0), (4000, 36.0), (8000, 39.0)]
    b = [(r * 0.9, q) for r, q in a]
    print(round(bd_rate(a, b), 3))
