"""Which pieces are the agent's: cluster the pieces' embeddings by voice inside the call, take
the cluster nearest the agent's voiceprint, and give every piece a probability of being the agent
from where it lies between the agent's cluster and the others.

Clustering inside the call matters on a phone line: there every voice is near every other to
CAM++ (the line is most of what the embeddings share), and a piece's similarity to a voiceprint
made elsewhere separates the voices far less than its place among the call's own pieces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_VOICES = 6


@dataclass(frozen=True)
class Voices:
    labels: np.ndarray  # cluster per piece
    agent: int  # the agent's cluster (-1: none)
    agent_prob: np.ndarray  # per piece
    #: Cosine of each cluster's centre to the voiceprint.
    to_print: np.ndarray
    #: Mean silhouette of the agent's pieces (how well their cluster stands apart).
    agent_silhouette: float
    #: Separation of the agent's cluster from the nearest other, in the discriminant's units
    #: (difference of the two sides' means over their pooled spread).
    separation: float
    #: Share of the agent's speech (embedded seconds) in clusters joined to the nearest one
    #: because they lie as near the voiceprint.
    merged_share: float = 0.0
    #: Share of the clustered agent speech taken out as another voice (far from the voiceprint).
    hidden_share: float = 0.0
    #: Weighted standard deviation of the agent's pieces' cosine to the voiceprint: one voice
    #: scatters little; a cluster that also holds someone else scatters more.
    print_scatter: float = 0.0

    @property
    def count(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size else 0

    @property
    def print_margin(self) -> float:
        """How much nearer the voiceprint the agent's cluster is than the nearest other one."""
        if self.agent < 0 or self.to_print.size < 2:
            return 0.0
        return float(self.to_print[self.agent] - np.delete(self.to_print, self.agent).max())


def assign(embeddings: np.ndarray, weights: np.ndarray, voiceprint: np.ndarray, s) -> Voices:
    """Cluster ``embeddings`` (unit rows, one per piece) and score each piece as the agent's."""
    n = embeddings.shape[0]
    if n == 0:
        return Voices(np.zeros(0, int), -1, np.zeros(0), np.zeros(0), 0.0, 0.0, 0.0, 0.0)
    x = centred(embeddings, weights)
    labels = cluster(x, s.one_voice_silhouette)
    to_voice = embeddings @ voiceprint
    labels, merged = _agent_clusters(embeddings, labels, weights, voiceprint, s.agent_spread)
    labels, hidden = _hidden_voice(labels, weights, to_voice, embeddings, voiceprint, s.hidden_gap)
    centres = centroids(embeddings, labels, weights)
    to_print = centres @ voiceprint
    agent = int(np.argmax(to_print))
    if centres.shape[0] == 1:
        # One voice only: nothing in the call tells it from a customer who sounds like it.
        sims = embeddings @ voiceprint
        return Voices(labels, agent, np.clip(sims, 0, 1), to_print, 0.0, 0.0, merged, hidden)
    c_x = centroids(x, labels, weights)
    sims = x @ c_x.T
    lead = sims[:, agent] - np.delete(sims, agent, axis=1).max(axis=1)
    mine, rest = lead[labels == agent], lead[labels != agent]
    pooled = np.concatenate([mine - mine.mean(), rest - rest.mean()])
    spread = max(float(np.sqrt(np.mean(pooled**2))), s.min_spread)
    gap = float(mine.mean() - rest.mean())
    log_odds = gap * (lead - 0.5 * (mine.mean() + rest.mean())) / spread**2
    prob = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -50, 50)))
    sil = silhouette(x, labels, agent)
    scatter = _scatter(to_voice[labels == agent], weights[labels == agent])
    return Voices(labels, agent, prob, to_print, sil, gap / spread, merged, hidden, scatter)


def centred(embeddings: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The rows less the call's weighted mean, re-normalised: what all pieces share (the line,
    the room) is taken out."""
    mean = (embeddings * weights[:, None]).sum(axis=0) / max(weights.sum(), 1e-9)
    x = embeddings - mean
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def cluster(x: np.ndarray, one_voice_silhouette: float) -> np.ndarray:
    """Average-linkage clusters (cosine) with the count of the best silhouette; one cluster when
    no split reaches ``one_voice_silhouette``."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.metrics import silhouette_score

    n = x.shape[0]
    if n < 4:
        return np.zeros(n, dtype=int)
    tree = linkage(x.astype(np.float64), method="average", metric="cosine")
    best, best_labels = one_voice_silhouette, np.zeros(n, dtype=int)
    for k in range(2, min(MAX_VOICES, n - 1) + 1):
        labels = fcluster(tree, k, criterion="maxclust") - 1
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(x, labels, metric="cosine")
        if score > best:
            best, best_labels = score, labels
    return np.unique(best_labels, return_inverse=True)[1].astype(int)


def centroids(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    out = []
    for label in range(labels.max() + 1):
        members = labels == label
        centre = (rows[members] * weights[members, None]).sum(axis=0)
        out.append(centre / max(np.linalg.norm(centre), 1e-9))
    return np.stack(out)


def silhouette(x: np.ndarray, labels: np.ndarray, cluster_id: int) -> float:
    from sklearn.metrics import silhouette_samples

    if labels.max() < 1 or labels.max() + 1 >= labels.size:
        return 0.0
    scores = silhouette_samples(x, labels, metric="cosine")
    return float(scores[labels == cluster_id].mean())


def _scatter(values: np.ndarray, weights: np.ndarray) -> float:
    if values.size < 2:
        return 0.0
    mean = np.average(values, weights=weights)
    return float(np.sqrt(np.average((values - mean) ** 2, weights=weights)))


def _agent_clusters(embeddings, labels, weights, voiceprint, spread: float):
    """Clusters whose centre is within ``spread`` (cosine) of the nearest one to the voiceprint
    join it: one voice cut in two (a louder and a quieter stretch). Returns the labels and the
    joined clusters' share of the result."""
    if labels.max() < 1:
        return labels, 0.0
    to_print = centroids(embeddings, labels, weights) @ voiceprint
    best = int(np.argmax(to_print))
    near = np.flatnonzero(to_print >= to_print[best] - spread)
    if near.size < 2:
        return labels, 0.0
    joined = np.isin(labels, near)
    share = float(weights[joined & (labels != best)].sum() / max(weights[joined].sum(), 1e-9))
    out = np.where(joined, best, labels)
    return np.unique(out, return_inverse=True)[1].astype(int), share


def _hidden_voice(labels, weights, to_voice, embeddings, voiceprint, gap: float):
    """Pieces of the agent's cluster more than ``gap`` (cosine to the voiceprint) below its
    best-matching pieces are someone else's: a voice that speaks little can hide in the agent's
    cluster. They become a cluster of their own. Returns labels and their share of the cluster."""
    to_print = centroids(embeddings, labels, weights) @ voiceprint
    members = labels == int(np.argmax(to_print))
    solid = members & (weights >= 1.0)
    ref = float(to_voice[solid if solid.any() else members].max())
    far = members & (to_voice < ref - gap)
    if not far.any():
        return labels, 0.0
    out = labels.copy()
    out[far] = labels.max() + 1
    share = float(weights[far].sum() / max(weights[members].sum(), 1e-9))
    return np.unique(out, return_inverse=True)[1].astype(int), share
