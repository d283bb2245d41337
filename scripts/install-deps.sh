#!/bin/sh
# Installs the Debian packages Estuary builds against, only those missing.
# Used by scripts/demo.sh and scripts/test.sh; needs root (or sudo) only when
# something is actually missing.
set -eu

PACKAGES="libcurl4-openssl-dev libxml2-dev libsqlite3-dev libpsl-dev pkg-config"
# --test: what the test suite needs besides (brotli and gzip make compressed
# fixtures at test time; python3 runs the conformance harness, and python3-venv gives
# the tests' Python packages an environment of their own; systemd brings
# systemd-analyze, which scores and verifies the units; xmllint and jing validate
# the Atom output against RFC 4287's RELAX NG schema, which scripts/atom-schema.sh
# takes from lxml's source distribution, whose metadata needs libxslt1-dev; openssl
# makes the certificate of the HTTPS test server).
if [ "${1:-}" = "--test" ]; then
    PACKAGES="$PACKAGES brotli gzip python3 python3-venv systemd libxml2-utils jing libxslt1-dev openssl"
fi

missing=""
for package in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "estuary: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "estuary: run as root, or install them yourself: apt-get install$missing" >&2
    exit 1
fi
$SUDO apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
