#!/bin/sh
# Installs what is missing, builds Estuary and runs one cycle on the bundled
# demo config (config/demo.toml: bundled feeds, no network needed).
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
swift build --product estuary
.build/debug/estuary once --verbose --config config/demo.toml
echo "demo outputs: $(pwd)/out/demo/output (state: $(pwd)/out/demo/state)"
