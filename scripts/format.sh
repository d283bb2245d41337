#!/bin/sh
# Formats Estuary's Swift code with the toolchain's swift-format (.swift-format).
#   scripts/format.sh          rewrite files in place
#   scripts/format.sh --check  lint only; exit non-zero on any finding (CI)
set -eu
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--check" ]; then
    exec swift format lint --strict --recursive Sources Tests Package.swift
fi
exec swift format format --in-place --recursive Sources Tests Package.swift
