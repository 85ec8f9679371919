"""Group speaker embeddings by voice: k-means on call-centred unit embeddings, with the number
of voices that gives the best (cosine) silhouette.

K-means rather than average-linkage agglomerative clustering: where the voices are one
direction among many (a phone line's 8 kHz audio), average linkage cut the windows into five
or six small clusters that each held both voices, and the call had to go to review; k-means
split the same windows into the two voices. On the full-band benchmark calls both give the
same clusters, except Norwegian, where k-means put one more agent window (two of 38) with the
customer."""

from __future__ import annotations

import numpy as np

MAX_SPEAKERS = 6
#: Fewer windows than this are one voice as far as anyone can tell.
MIN_WINDOWS = 4
#: Below this best silhouette, no split of the windows is better than "one voice".
ONE_VOICE_SILHOUETTE = 0.12
_MIN_CLUSTER_SHARE = 0.03


def cluster_voices(embeddings: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """A cluster label (0..k-1) per unit-length embedding row."""
    n = embeddings.shape[0]
    if n == 0:
        return np.zeros(0, dtype=int)
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if n < MIN_WINDOWS:
        return np.zeros(n, dtype=int)
    labels = _k_means(_centred(embeddings, weights))
    return _relabel(_absorb_minor(embeddings, labels, weights))


def reveal_hidden_voice(
    embeddings: np.ndarray, labels: np.ndarray, weights: np.ndarray, anchor: np.ndarray, gap: float
) -> np.ndarray:
    """``labels`` with one more cluster where the clustering with one voice more cuts the
    cluster nearest ``anchor`` (the voiceprint) and one of its parts lies more than ``gap``
    (cosine) further from the anchor than another: that part is a voice of its own.

    A voice that speaks little can hide in the agent's cluster: the call's silhouette prefers
    the big split (a woman's voice against two men's) to a third cluster of three windows."""
    k = int(labels.max()) + 1
    if k + 1 > MAX_SPEAKERS or embeddings.shape[0] <= k + 1:
        return labels
    finer = _k_means_labels(_centred(embeddings, weights), k + 1)
    nearest = labels == int(np.argmax(centroids(embeddings, labels, weights) @ anchor))
    inside = [j for j in range(k + 1) if nearest[finer == j].mean() > 0.5]
    if len(inside) < 2:
        return labels
    to_anchor = centroids(embeddings, finer, weights)[inside] @ anchor
    far = [j for j, t in zip(inside, to_anchor, strict=True) if t < to_anchor.max() - gap]
    if not far:
        return labels
    out = labels.copy()
    out[nearest & np.isin(finer, far)] = k
    return out


def centroids(embeddings: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    rows = []
    for label in range(labels.max() + 1):
        members = labels == label
        centre = (embeddings[members] * weights[members, None]).sum(axis=0)
        rows.append(centre / max(np.linalg.norm(centre), 1e-9))
    return np.stack(rows)


def cluster_silhouette(
    embeddings: np.ndarray, labels: np.ndarray, weights: np.ndarray, cluster: int
) -> float:
    """How well one cluster's windows sit apart from the others' (their mean silhouette,
    weighted by duration, on the call-centred embeddings the clustering saw): about 0 when the
    cluster is no nearer to itself than to its neighbour, 1 when it is tight and far away."""
    from sklearn.metrics import silhouette_samples

    if labels.max() < 1:
        return 0.0
    members = labels == cluster
    scores = silhouette_samples(_centred(embeddings, weights), labels, metric="cosine")
    return float(np.average(scores[members], weights=weights[members]))


def _centred(embeddings: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The rows less the call's mean, re-normalised: what every window shares (the line, the
    room, the codec) is taken out, so the cosine sees the voices' differences."""
    mean = (embeddings * weights[:, None]).sum(axis=0) / weights.sum()
    centred = embeddings - mean
    return centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-9)


def _k_means_labels(embeddings: np.ndarray, k: int) -> np.ndarray:
    """``k`` clusters of the (call-centred) rows; the one k-means every caller uses."""
    from sklearn.cluster import KMeans

    # Fixed seed and several starts: the same call always gets the same clusters.
    return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(
        embeddings.astype(np.float64)
    )


def _k_means(embeddings: np.ndarray) -> np.ndarray:
    from sklearn.metrics import silhouette_score

    n = embeddings.shape[0]
    best, best_labels = ONE_VOICE_SILHOUETTE, np.zeros(n, dtype=int)
    for k in range(2, min(MAX_SPEAKERS, n - 1) + 1):
        labels = _k_means_labels(embeddings, k)
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(embeddings, labels, metric="cosine")
        if score > best:
            best, best_labels = score, labels
    return best_labels


def _absorb_minor(embeddings: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Clusters with a sliver of the speech join the nearest big one."""
    labels = _relabel(labels)
    share = np.bincount(labels, weights=weights) / weights.sum()
    major = np.flatnonzero(share >= _MIN_CLUSTER_SHARE)
    if len(major) == 0 or len(major) == len(share):
        return labels
    centres = centroids(embeddings, labels, weights)[major]
    out = labels.copy()
    for i in np.flatnonzero(~np.isin(labels, major)):
        out[i] = major[int(np.argmax(centres @ embeddings[i]))]
    return out


def _relabel(labels: np.ndarray) -> np.ndarray:
    _, dense = np.unique(labels, return_inverse=True)
    return dense.astype(int)
