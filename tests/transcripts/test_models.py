"""Per-language models: the policy's map, checked for form when the policy loads and located
(present, a Whisper model, with the language's token) before any audio; engines cached per
process and bounded. No model is loaded here: the directories are minimal stand-ins."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster_duckdb import DuckDBResource
from pydantic import ValidationError
from typer.testing import CliRunner

from assets.common.resources import ObjectStoreResource
from assets.recordings.samples.audio import resample
from assets.recordings.samples.tts import NATIVE_RATE, VoiceSpec, synthesize_isolated
from assets.retention.resources import PolicyResource
from assets.transcripts.assets import language_frame, transcripts
from assets.transcripts.engines import SAMPLE_RATE
from assets.transcripts.model_store import assemble_bundled_model
from assets.transcripts.models import (
    DEFAULT_KEY,
    ModelPool,
    ModelSpecError,
    _EngineCache,
    check_models_form,
    transcribe_track,
)
from assets.transcripts.redaction import TrackInfo
from assets.transcripts.resources import WhisperResource
from assets.transcripts.settings import TranscriptionSettings
from lydspor.cli import app
from tests.conftest import MODEL_DIR, REPO


def fake_model(path: Path, languages=("no", "nn", "da", "sv", "en")) -> Path:
    """A directory shaped like a CTranslate2 Whisper model (no weights: never loaded here)."""
    path.mkdir(parents=True)
    (path / "model.bin").write_bytes(b"\0")
    (path / "config.json").write_text("{}")
    tokens = [{"content": f"<|{code}|>"} for code in languages]
    (path / "tokenizer.json").write_text(json.dumps({"added_tokens": tokens}))
    return path


def pool(tmp_path, models, default=None, **kw) -> ModelPool:
    if default is None:
        here = tmp_path / "default-model"
        default = str(here if here.exists() else fake_model(here))
    settings = {"engine": "faster-whisper", "model": default, "model_dir": str(MODEL_DIR)}
    return ModelPool(settings, models, max_loaded=kw.get("max_loaded", 2), base_dir=tmp_path)


def test_the_policy_map_is_checked_for_form_when_it_loads():
    assert TranscriptionSettings().models == {}
    ok = TranscriptionSettings(models={"nb": " /srv/nb ", "default": "bundled:base"})
    assert ok.models == {"nb": "/srv/nb", "default": "bundled:base"}
    for bad, says in [
        ({"de": "/srv/de"}, "unknown key(s) ['de']"),
        ({"nb": "bundled:large-v3"}, "no bundled model 'large-v3'"),
        ({"nb": "  "}, "nb: empty"),
    ]:
        with pytest.raises(ValidationError, match=re.escape(says)):
            TranscriptionSettings(models=bad)
        with pytest.raises(ModelSpecError) as caught:
            check_models_form(bad)
        assert says in str(caught.value)
    with pytest.raises(ValidationError, match="max_loaded_models"):
        TranscriptionSettings(max_loaded_models=0)


def test_each_language_goes_to_its_model_and_the_rest_to_the_default(tmp_path):
    nordic = fake_model(tmp_path / "nordic")
    chosen = pool(tmp_path, {"nb": "nordic", "nn": str(nordic)})  # relative: policy folder
    assert chosen.model_for("nb") == chosen.model_for("nn") == str(nordic.resolve())
    assert chosen.paths["nb"] == chosen.paths["nn"]
    assert chosen.model_for("sv") == chosen.model_for(None) == str(tmp_path / "default-model")
    with_default = pool(tmp_path, {"nb": "nordic", DEFAULT_KEY: "bundled:base"})
    assert with_default.model_for("en") == with_default.model_for(None) == "bundled:base"
    assert Path(with_default.paths[DEFAULT_KEY]) == MODEL_DIR / "whisper-base"


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("missing-dir/", "model directory {tmp}/missing-dir does not exist"),
        ("./nb-model", "model directory {tmp}/nb-model does not exist"),
        ("not-a-model", "not a CTranslate2 Whisper model (missing model.bin, config.json, tok"),
        ("english-only", "has no <|no|> token"),
        ("nb-ct2", "no directory {tmp}/nb-ct2, and no model of that name in the local"),
        ("NbAiLab/no-such-whisper", "lydspor never downloads a model the policy names"),
    ],
)
def test_a_model_that_is_not_here_fails_naming_language_and_model(tmp_path, spec, says):
    (tmp_path / "not-a-model").mkdir()
    fake_model(tmp_path / "english-only", languages=("en",))
    with pytest.raises(ModelSpecError) as caught:
        pool(tmp_path, {"sv": str(fake_model(tmp_path / "sv-model")), "nb": spec})
    message = str(caught.value)
    assert message.startswith(f"transcription.models.nb = {spec!r}: "), message
    assert says.format(tmp=tmp_path) in message


def test_engines_load_once_and_at_most_max_loaded_are_kept():
    cache, built = _EngineCache(), []

    def build(name):
        return lambda: built.append(name) or object()

    first = cache.get(("a",), build("a"), 2)
    assert cache.get(("a",), build("a"), 2) is first
    cache.get(("b",), build("b"), 2)
    cache.get(("a",), build("a"), 2)  # a is now the most recently used
    cache.get(("c",), build("c"), 2)  # so b is dropped
    assert cache.loaded() == [("a",), ("c",)] and built == ["a", "b", "c"] and cache.loads == 3
    cache.get(("b",), build("b"), 2)
    assert built == ["a", "b", "c", "b"] and cache.loaded() == [("c",), ("b",)]


def write_policy(folder: Path, models: dict[str, str]) -> Path:
    raw = yaml.safe_load((REPO / "data" / "policies" / "default.yaml").read_text())
    raw["transcription"]["models"] = models
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policy.yaml").write_text(yaml.safe_dump(raw))
    return folder / "policy.yaml"


def test_transcribe_fails_on_a_missing_model_before_reading_the_audio(
    lydspor_state, tmp_path, monkeypatch
):
    monkeypatch.setenv("LYDSPOR_POLICY", str(write_policy(tmp_path / "p", {"nb": "nb-ct2"})))
    audio = tmp_path / "call.wav"
    audio.write_bytes(b"not audio: decoding it would fail with another message")
    result = CliRunner().invoke(app, ["transcribe", str(audio), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "transcription.models.nb = 'nb-ct2'" in result.output
    assert "could not decode" not in result.output and not (tmp_path / "o").exists()


@pytest.mark.slow
def test_the_nb_track_is_transcribed_by_the_nb_model_and_its_row_names_it(tmp_path):
    # The bundled model stands in for a Nordic one: its files under another directory name.
    standin = tmp_path / "nb-whisper-standin"
    standin.mkdir()
    for file in assemble_bundled_model(MODEL_DIR).iterdir():
        (standin / file.name).symlink_to(file)
    cache = _EngineCache()
    settings = {"engine": "faster-whisper", "model": "bundled:base", "model_dir": str(MODEL_DIR)}
    chosen = ModelPool(settings, {"nb": str(standin)}, max_loaded=2, base_dir=tmp_path, cache=cache)
    nb, en = (
        resample(clip, NATIVE_RATE, SAMPLE_RATE).astype("float32")
        for clip in synthesize_isolated(
            [("Hei, dette er Lars fra Northwind. Har du tid et øyeblikk?", "nb",
              VoiceSpec("m6", pitch=40, rate=155)),
             ("Good morning, this is Lars from Northwind. Do you have a minute?", "en",
              VoiceSpec("m6", pitch=40, rate=155))]
        )
    )  # fmt: skip
    heard_nb = transcribe_track(chosen, nb, "nb", ["nb", "en"])
    assert cache.loaded() and all(str(standin) in str(key) for key in cache.loaded())
    heard_en = transcribe_track(chosen, en, None, ["nb", "en"])  # detected by the default
    assert heard_en.choice.language == "en" and heard_en.choice.source == "detected"
    assert heard_nb.model == str(standin) and heard_en.model == "bundled:base"
    # Whisper base hears the Norwegian clip roughly ("Hai, det er Loche, lovt vinn, ...").
    assert heard_nb.transcript.language == "nb" and "det er" in heard_nb.transcript.text.lower()
    assert "northwind" in heard_en.transcript.text.lower(), heard_en.transcript.text
    assert chosen.engine_for("nb").model_name == str(standin)
    assert chosen.engine_for("en") is chosen.engine_for(None) is not chosen.engine_for("nb")
    assert cache.loads == 2  # each model loaded once
    info = TrackInfo("c1", date(2026, 12, 6), "agent", "contract", ["quality"])
    row = language_frame(heard_nb.transcript, heard_nb.choice, info, heard_nb.model, 0)
    assert row["model"].to_list() == [str(standin)] and row["language"].to_list() == ["nb"]


def test_the_transcripts_asset_fails_on_a_missing_model_before_opening_the_catalogue(
    lydspor_state, tmp_path
):
    catalogue = tmp_path / "never.duckdb"
    resources = {
        "object_store": ObjectStoreResource(root=str(tmp_path / "objects")),
        "duckdb": DuckDBResource(database=str(catalogue)),
        "whisper": WhisperResource(model_dir=str(MODEL_DIR)),
        "policy": PolicyResource(path=str(write_policy(tmp_path / "p", {"sv": "sv-ct2/"}))),
    }
    with pytest.raises(ModelSpecError, match=r"transcription.models.sv = 'sv-ct2/': model dir"):
        dg.materialize([transcripts], resources=resources, partition_key="2026-11-02")
    assert not catalogue.exists()
