"""Fetch the real speech the spoken PII benchmark reads from the Debian registry, at setup time.

Downloads ``pocketsphinx-testdata`` with ``apt-get download`` (no root needed for that),
unpacks it with ``dpkg-deb -x`` into ``<cache>/pocketsphinx-testdata``, and writes
``<cache>/real-speech-manifest.json``: source, licence and SHA-256 of every file used.
Nothing is committed; the benchmark skips these items with a message when they are absent.
Run: ``uv run python benchmarks/pii_spoken/fetch_real_speech.py [--cache DIR]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE = "pocketsphinx-testdata"
FILES = (
    "tidigits/dhd.2934z.raw",
    "numbers.raw",
    "cards/001.wav", "cards/002.wav", "cards/003.wav", "cards/004.wav", "cards/005.wav",
    "cards/cards.transcription",
    "tidigits/tidigits.lsn",
)  # fmt: skip
DATA = Path("usr/share/pocketsphinx/test/data")
SHARED_FILES = {
    "spokenwoz/MUL1011.opus": ("SpokenWOZ sample in speechbrain's tests", "CC BY-NC 4.0"),
    "spokenwoz/dialogue_state_tracking_sample_spokenwoz.csv": ("SpokenWOZ sample", "CC BY-NC 4.0"),
    "danish/u0013002.wav": ("danspeech/danspeech example_files (NST Danish)", "NST corpus"),
    "norwegian/norwegian-short-3s.mp3": ("NPSC via Magnus-Gille/sagascript", "CC0"),
    "norwegian/norwegian-medium-8s.mp3": ("NPSC via Magnus-Gille/sagascript", "CC0"),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(cache: Path) -> Path:
    target = cache / PACKAGE
    if not (target / DATA / FILES[0]).exists():
        with tempfile.TemporaryDirectory() as tmp:
            got = subprocess.run(["apt-get", "download", PACKAGE], cwd=tmp, capture_output=True,
                                 text=True, check=False)  # fmt: skip
            debs = list(Path(tmp).glob(f"{PACKAGE}_*.deb"))
            if got.returncode != 0 or not debs:
                raise SystemExit(f"apt-get download {PACKAGE} failed: {got.stderr[-500:]}"
                                 " (run 'apt-get update' first?)")  # fmt: skip
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(target)], check=True)
            (cache / f"{PACKAGE}.deb.sha256").write_text(f"{sha256(debs[0])}  {debs[0].name}\n")
    return target


def manifest(cache: Path, shared: Path) -> dict:
    version = ""
    deb_sum = (cache / f"{PACKAGE}.deb.sha256").read_text().split() if (
        cache / f"{PACKAGE}.deb.sha256").exists() else ["", ""]  # fmt: skip
    version = deb_sum[1].split("_")[1] if len(deb_sum) > 1 and "_" in deb_sum[1] else ""
    entries = []
    for name in FILES:
        path = cache / PACKAGE / DATA / name
        if path.exists():
            entries.append({"file": str(DATA / name), "sha256": sha256(path),
                            "source": f"Debian package {PACKAGE} {version}",
                            "licence": "BSD-2-Clause (CMU Sphinx; debian/copyright)"})  # fmt: skip
    for name, (source, licence) in SHARED_FILES.items():
        path = shared / name
        if path.exists():
            entries.append({"file": f"shared/real-speech/{name}", "sha256": sha256(path),
                            "source": source, "licence": licence})  # fmt: skip
    return {"package": PACKAGE, "deb": deb_sum[1] if len(deb_sum) > 1 else "",
            "deb_sha256": deb_sum[0], "files": entries}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    cache = Path(__file__).resolve().parents[2] / "data" / "state" / "bench-cache"
    parser.add_argument("--cache", type=Path, default=cache)
    parser.add_argument(
        "--shared", type=Path, default=cache / "real-speech",
        help="folder of the clips not in a registry (SpokenWOZ, NST, NPSC)",
    )  # fmt: skip
    args = parser.parse_args()
    fetch(args.cache)
    data = manifest(args.cache, args.shared)
    out = args.cache / "real-speech-manifest.json"
    out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"{len(data['files'])} files; manifest {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
