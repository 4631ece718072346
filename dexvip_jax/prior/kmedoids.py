"""k-medoids (PAM: BUILD then SWAP) on a precomputed distance matrix, in numpy.

Written here because the ``kmedoids`` package is GPL-3.0 and scikit-learn-extra does not import
with numpy 2. Deterministic: BUILD is greedy and SWAP takes the best improving swap each pass.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Clustering:
    medoids: np.ndarray  # (k,) indices into the data
    labels: np.ndarray  # (n,) cluster of each item
    cost: float  # sum of distances to the assigned medoid

    @property
    def consensus(self) -> int:
        """Index of the medoid of the largest cluster (ties: the earlier, more central medoid)."""
        return int(self.medoids[np.argmax(np.bincount(self.labels, minlength=len(self.medoids)))])


def pam(d: np.ndarray, k: int, max_iter: int = 100) -> Clustering:
    d = np.asarray(d, np.float64)
    n = d.shape[0]
    if d.shape != (n, n) or not np.allclose(d, d.T) or (np.diag(d) != 0).any():
        raise ValueError("distance matrix must be square, symmetric, with a zero diagonal")
    if not 1 <= k <= n:
        raise ValueError(f"k must be in 1..{n}, got {k}")
    medoids = [int(np.argmin(d.sum(axis=1)))]
    nearest = d[medoids[0]].copy()
    while len(medoids) < k:  # BUILD: add the point that lowers the total cost most
        gain = np.maximum(nearest[None, :] - d, 0.0).sum(axis=1)
        gain[medoids] = -1.0
        m = int(np.argmax(gain))
        medoids.append(m)
        nearest = np.minimum(nearest, d[m])
    medoids = np.array(medoids)
    cost = d[medoids].min(axis=0).sum()
    for _ in range(max_iter):  # SWAP: best (medoid, non-medoid) exchange while it helps
        best = (cost, None, None)
        for i in range(k):
            others = np.delete(medoids, i)
            base = d[others].min(axis=0) if len(others) else np.full(n, np.inf)
            trial = np.minimum(base[None, :], d).sum(axis=1)  # cost with candidate h replacing medoid i
            trial[medoids] = np.inf
            h = int(np.argmin(trial))
            if trial[h] < best[0] - 1e-12:
                best = (trial[h], i, h)
        if best[1] is None:
            break
        medoids[best[1]] = best[2]
        cost = best[0]
    labels = np.argmin(d[medoids], axis=0)
    return Clustering(medoids, labels, float(cost))


def silhouette(d: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette width (items in singleton clusters count 0)."""
    n = len(labels)
    s = np.zeros(n)
    for i in range(n):
        same = labels == labels[i]
        if same.sum() <= 1:
            continue
        a = d[i, same].sum() / (same.sum() - 1)
        b = min(d[i, labels == c].mean() for c in np.unique(labels) if c != labels[i]) if len(np.unique(labels)) > 1 else 0.0
        s[i] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return float(s.mean())


def cluster(d: np.ndarray, k: int | None = None, k_max: int = 6) -> Clustering:
    """PAM with fixed ``k``, or ``k`` in 2..k_max chosen by the silhouette among clusterings whose
    clusters are all distinct (identical items, as a motion-capture hold gives, make one cluster)."""
    if k is not None:
        return pam(d, k)
    n = d.shape[0]
    candidates = [pam(d, kk) for kk in range(2, min(k_max, n - 1) + 1)]
    candidates = [c for c in candidates if (np.bincount(c.labels, minlength=len(c.medoids)) > 0).all()]
    if not candidates:
        return pam(d, 1)
    return max(candidates, key=lambda c: silhouette(d, c.labels))
