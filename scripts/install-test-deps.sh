#!/usr/bin/env bash
# Install the system packages the test suite needs (Debian/Ubuntu), if they are missing.
#
#   radosgw ceph-mon ceph-osd   -> the throwaway S3 server (Ceph radosgw) the s3 tests start
#                                  (tests/support/ceph_s3.py); ceph-common comes with them.
#   postgresql                  -> the throwaway Postgres (Unix socket only) the scale-out tests
#                                  start (tests/support/postgres.py); its binaries stay in
#                                  /usr/lib/postgresql/<major>/bin, found there.
#   chromium chromium-driver    -> the headless browser the web app's tests drive
#                                  (tests/web/test_browser.py, through Playwright).
#
# Idempotent: does nothing when everything is installed; runs `apt-get update` only when
# something has to be installed. Works as root, or via sudo when not root.
set -euo pipefail

PACKAGES=(radosgw ceph-mon ceph-osd postgresql)
BINARIES=(radosgw radosgw-admin ceph-mon ceph-osd ceph monmaptool)

die() {
    echo "install-test-deps: ERROR: $*" >&2
    exit 1
}

# apt_install PKG...: install Debian packages as root, or via sudo when not root.
apt_install() {
    command -v apt-get >/dev/null 2>&1 \
        || die "apt-get not found; install $* with your package manager (Debian/Ubuntu expected)"
    local sudo
    if [[ "$(id -u)" -eq 0 ]]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        die "not root and sudo is not available; as root run: apt-get install $*"
    fi
    echo "install-test-deps: installing $*"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        || die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "$@" \
        || die "apt-get install $* failed"
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-test-deps: already installed: ${PACKAGES[*]}"
else
    apt_install "${missing[@]}"
fi

# Check that the binaries the tests call are really on PATH now.
not_found=()
for bin in "${BINARIES[@]}"; do
    command -v "$bin" >/dev/null 2>&1 || not_found+=("$bin")
done
if ((${#not_found[@]} > 0)); then
    die "still missing on PATH after install: ${not_found[*]} (PATH=$PATH)"
fi
echo "install-test-deps: ok ($(ceph-mon --version 2>/dev/null | head -n1))"

# --- the web app's browser tests: Debian's Chromium (Playwright drives it; never
# `playwright install`, which would download a browser of its own).
if [[ -x /usr/bin/chromium ]]; then
    echo "install-test-deps: already installed: chromium"
else
    apt_install chromium chromium-driver
fi
[[ -x /usr/bin/chromium ]] || die "still no /usr/bin/chromium after install"
echo "install-test-deps: ok ($(/usr/bin/chromium --version 2>/dev/null | head -n1))"
