"""A second opinion on what is kept: CAM++ on short windows of the kept audio itself.

The segmentation can run two similar voices together as one local speaker; then every piece of
that speaker holds both, the clustering cannot tell, and the customer's half would be kept. So
the kept audio is cut into short windows, each embedded on its own and compared with the
agent's cluster and the nearest other cluster (centres of the pieces' embeddings): a window
nearer someone else is silenced, and the share of kept time that was so disputed lowers the
call's confidence (segmentation and embeddings disagree).
"""

from __future__ import annotations

import numpy as np

from assets.agent_audio.decide import runs
from assets.agent_audio.voices import centroids

FBANK_S = 0.01


def verify(audio, analysis, voices, weights, line, kept, models, s):
    """(kept frames less the disputed windows, disputed share of the kept time)."""
    centres = centroids(analysis.vectors, voices.labels, weights)
    agent = centres[voices.agent]
    others = np.delete(centres, voices.agent, axis=0)
    secs = line.seconds(np.arange(kept.size))
    spans = []
    for a, b in runs(kept):
        t0, t1 = secs[a] - 0.5 * line.frame_step, secs[b - 1] + 0.5 * line.frame_step
        last = max(t0, t1 - s.verify_window_s)
        starts = np.arange(t0, last + 1e-6, s.verify_hop_s)
        if last - starts[-1] > 1e-3:  # one more window ending with the run: its tail too
            starts = np.append(starts, last)
        spans.extend((float(x), float(min(t1, x + s.verify_window_s))) for x in starts)
    if not spans:
        return kept, 0.0
    feats = models.embedder.features(audio)
    frames = [
        np.arange(int(a / FBANK_S), max(int(a / FBANK_S) + 1, int(b / FBANK_S))) for a, b in spans
    ]
    vecs = models.embedder.embed(feats, frames, top_hz=analysis.top_hz)
    lead = vecs @ agent - (vecs @ others.T).max(axis=1)
    out = kept.copy()
    for (a, b), d in zip(spans, lead, strict=True):
        if d < s.verify_margin:
            lo = int(np.searchsorted(secs, a))
            hi = int(np.searchsorted(secs, b))
            out[lo:hi] = False
    total = float(kept.sum())
    return out, float((kept & ~out).sum() / total) if total else 0.0
