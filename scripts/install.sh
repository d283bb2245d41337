#!/bin/sh
# Builds Estuary in release mode and installs it:
#   /usr/local/bin/estuary
#   /etc/estuary/estuary.toml              (the example, only if none exists)
#   /etc/systemd/system/estuary.service, estuary-once.service, estuary-once.timer
#   /usr/local/share/doc/estuary/          (README, docs and the example config)
# Then: systemctl daemon-reload && systemctl enable --now estuary.service
# DESTDIR=/some/root installs under another root (for packaging and tests).
set -eu
cd "$(dirname "$0")/.."

DESTDIR="${DESTDIR:-}"
PREFIX="${PREFIX:-/usr/local}"

./scripts/install-deps.sh
swift build -c release --product estuary
bin="$(swift build -c release --show-bin-path)/estuary"

install -d "$DESTDIR$PREFIX/bin" "$DESTDIR/etc/estuary" "$DESTDIR/etc/systemd/system" "$DESTDIR$PREFIX/share/doc/estuary"
install -m 0755 "$bin" "$DESTDIR$PREFIX/bin/estuary"
if [ ! -e "$DESTDIR/etc/estuary/estuary.toml" ]; then
    install -m 0644 config/estuary.example.toml "$DESTDIR/etc/estuary/estuary.toml"
else
    echo "estuary: keeping the existing /etc/estuary/estuary.toml" >&2
fi
install -m 0644 systemd/estuary.service systemd/estuary-once.service systemd/estuary-once.timer "$DESTDIR/etc/systemd/system/"
install -m 0644 README.md config/estuary.example.toml "$DESTDIR$PREFIX/share/doc/estuary/"
cp -R docs/. "$DESTDIR$PREFIX/share/doc/estuary/"

echo "installed. Next: edit /etc/estuary/estuary.toml, run 'estuary check', then"
echo "  systemctl daemon-reload && systemctl enable --now estuary.service"
echo "or, for a timer-driven one-shot: systemctl enable --now estuary-once.timer"
