#!/usr/bin/env bash
# Print the path of a working uv, installing it from PyPI first when it is missing.
set -euo pipefail
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
for candidate in "$HOME/.local/bin/uv" /usr/local/bin/uv; do
    if [[ -x "$candidate" ]]; then echo "$candidate"; exit 0; fi
done
echo "ensure-uv: uv not found, installing it from PyPI" >&2
python3 -m pip install --quiet --user uv >&2 2>/dev/null \
    || python3 -m pip install --quiet --user --break-system-packages uv >&2 \
    || python3 -m pip install --quiet uv >&2 \
    || { echo "ensure-uv: could not install uv; see https://docs.astral.sh/uv/" >&2; exit 1; }
for candidate in "$(command -v uv 2>/dev/null || true)" "$HOME/.local/bin/uv" "$(python3 -m site --user-base)/bin/uv"; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then echo "$candidate"; exit 0; fi
done
echo "ensure-uv: uv installed but not found on PATH" >&2
exit 1
