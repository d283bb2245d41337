#!/bin/sh
# Installs what is missing, builds everything and runs the whole test suite.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
# The end-to-end tests run the real `estuary` executable: build it with the tests.
swift build --build-tests
swift test --skip-build
