#!/bin/sh
# Installs what is missing, builds everything and runs the whole test suite.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh --test
# Formatting is checked, and warnings are errors (Package.swift): both fail the run.
./scripts/format.sh --check
# The tests' Python packages go into a virtual environment of their own, first on PATH for
# everything below (Debian's python3 is "externally managed": pip may not install into it).
VENV=.build-venv
[ -x "$VENV/bin/python3" ] || python3 -m venv "$VENV"
PATH="$(pwd)/$VENV/bin:$PATH"
export PATH
# Python's feedparser reads Estuary's Atom and RSS outputs in the round-trip tests.
python3 -c "import feedparser" 2>/dev/null || python3 -m pip install --quiet "feedparser==6.0.11"
# ... and jsonschema checks the JSON index against docs/json-index.schema.json.
python3 -c "import jsonschema" 2>/dev/null || python3 -m pip install --quiet "jsonschema>=4"
# ... and h2 (python-hyper) lets the HTTPS test server offer HTTP/2.
python3 -c "import h2" 2>/dev/null || python3 -m pip install --quiet "h2==4.1.0"
# The end-to-end tests run the real `estuary` executable: build it with the tests.
swift build --build-tests
# RFC 4287's RELAX NG schema, which the Atom output is validated against (with xmllint and jing).
ESTUARY_ATOM_RNG=$(./scripts/atom-schema.sh)
export ESTUARY_ATOM_RNG
swift test --skip-build
# The parser against feedparser's suite: fails below the agreement reached so far.
./scripts/conformance.sh .build/debug/estuary
