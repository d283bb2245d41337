#!/bin/sh
# Reload benchmark: the memory `estuary run` keeps per config reload (SIGHUP, as
# `systemctl reload` sends). A daemon reloaded by configuration management every
# few minutes must not grow with each reload.
#
#   Benchmarks/reload-benchmark.sh [--sources N] [--reloads R] [--binary PATH]
#
# N `file:` sources (one bundled feed, so no network), a 30-minute interval so the
# first cycle is the only one; R reloads of the same config, each waited for in
# the log. Prints the resident memory after the first cycle and after the reloads,
# and what one reload left behind on average. No reference tool does this: the
# figure to compare with is a config of the same size, reloaded zero times.
set -eu
cd "$(dirname "$0")/.."

SOURCES=10000
RELOADS=40
BINARY=.build/release/estuary
while [ $# -gt 0 ]; do
    case "$1" in
        --sources) SOURCES="$2"; shift 2 ;;
        --reloads) RELOADS="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        *) echo "usage: $0 [--sources N] [--reloads R] [--binary PATH]" >&2; exit 2 ;;
    esac
done

. Benchmarks/common.sh
ensure_binary "$BINARY"
BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")

WORK=".build-bench/reload-$SOURCES"
rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
cp config/demo-feeds/wordpress-rss2.xml "$WORK/feed.xml"
{
    printf '[estuary]\nstate_dir = "state"\noutput_dir = "output"\ninterval = "30m"\n\n'
    n=0
    while [ "$n" -lt "$SOURCES" ]; do
        printf '[[source]]\nid = "s%d"\nurl = "file:feed.xml"\ntags = ["t%d"]\n\n' "$n" $((n % 10))
        n=$((n + 1))
    done
    printf '[[output]]\nname = "river"\nmax_items = 100\n'
} >"$WORK/estuary.toml"

rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# wait_for PATTERN COUNT: until the log holds COUNT lines matching PATTERN (at most 10 minutes).
wait_for() {
    tries=0
    while [ "$(grep -c "$1" "$WORK/run.log" || true)" -lt "$2" ]; do
        tries=$((tries + 1))
        [ "$tries" -lt 6000 ] || { echo "reload-benchmark: gave up waiting for '$1' x $2" >&2; tail -5 "$WORK/run.log" >&2; exit 1; }
        sleep 0.1
    done
}

(cd "$WORK" && exec "$BINARY" run --config estuary.toml >run.log 2>&1) &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT INT TERM
# The first cycle has written the outputs once they exist.
tries=0
until [ -f "$WORK/output/river.atom" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 6000 ] || { echo "reload-benchmark: no first cycle" >&2; tail -5 "$WORK/run.log" >&2; exit 1; }
    sleep 0.1
done
sleep 2
before=$(rss_kib $PID)
n=1
while [ "$n" -le "$RELOADS" ]; do
    kill -HUP $PID
    wait_for "config reloaded" "$n"
    n=$((n + 1))
done
sleep 2
after=$(rss_kib $PID)
kill $PID
wait $PID || true
trap - EXIT INT TERM

echo "---- summary ----"
echo "Reload benchmark (Benchmarks/reload-benchmark.sh --sources $SOURCES --reloads $RELOADS): config $(wc -c <"$WORK/estuary.toml") bytes"
awk -v b="$before" -v a="$after" -v r="$RELOADS" 'BEGIN {
    printf "RSS after the first cycle %.1f MB, after %d reloads %.1f MB: %.0f KB per reload\n", b / 1024, r, a / 1024, (a - b) / r
}'
echo "-----------------"
