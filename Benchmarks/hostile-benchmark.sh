#!/bin/sh
# Hostile-feed benchmark: `estuary parse` on feeds built to cost the most a feed under the body
# limit (16 MiB) can cost: deep nesting, stray end tags, unclosed quotes and tags, a `<` or `&`
# in every byte, unclosed <br>, mixed open and close tags, one endless tag. Prints each one's
# time and peak RSS beside `xmllint --noout --stream` on the same file (libxml2 alone, which
# refuses most of them early), and the worst of each.
#
#   Benchmarks/hostile-benchmark.sh [--megabytes N] [--binary PATH]
#
# A safety measurement, not a speed race: what matters is that every line stays within a few
# seconds and a few hundred MB whatever the file holds (see docs/security.md).
set -eu
cd "$(dirname "$0")/.."

MEGABYTES=15
BINARY=.build/release/estuary
while [ $# -gt 0 ]; do
    case "$1" in
        --megabytes) MEGABYTES="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        *) echo "usage: $0 [--megabytes N] [--binary PATH]" >&2; exit 2 ;;
    esac
done

. Benchmarks/common.sh
install_missing time libxml2-utils python3
ensure_binary "$BINARY"

WORK=".build-bench/hostile-$MEGABYTES"
mkdir -p "$WORK"
python3 - "$WORK" "$MEGABYTES" <<'PY'
import os, sys
folder, size = sys.argv[1], int(sys.argv[2]) * 1024 * 1024
head = '<rss version="2.0"><channel><title>T</title><item><title>first</title></item><item><title>t</title><description>'
tail = '</description></item></channel></rss>\n'
patterns = {
    "deep": "<a>", "stray-end": "</a>", "open-quote": '<a b="', "lt": "<", "amp": "&", "open-br": "<br>",
    "mixed": "<a><b></a>", "apostrophe": "<i don't ", "long-name": "<" + "n" * 1000 + ">",
}
for name, unit in patterns.items():
    with open(os.path.join(folder, name + ".xml"), "w") as f:
        f.write(head + unit * (size // len(unit)) + tail)
with open(os.path.join(folder, "endless-tag.xml"), "w") as f:
    f.write(head + "<a " + "x" * size + tail)
PY

measure() { # command...: prints "seconds peak-KiB" (xmllint exits non-zero on these files)
    /usr/bin/time -f "%e %M" -o "$WORK/time.out" "$@" >/dev/null 2>&1 || true
    tail -n 1 "$WORK/time.out"
}

echo "---- hostile feeds, $MEGABYTES MB each ----"
printf '%-12s %10s %10s   %10s %10s\n' file "estuary s" "MB" "xmllint s" "MB"
worst_s=0; worst_mb=0
for file in "$WORK"/*.xml; do
    name=$(basename "$file" .xml)
    set -- $(measure "$BINARY" parse --jsonl "$file")
    e_s=$1; e_mb=$(($2 / 1024))
    set -- $(measure xmllint --noout --stream "$file")
    x_s=$1; x_mb=$(($2 / 1024))
    printf '%-12s %10s %10s   %10s %10s\n' "$name" "$e_s" "$e_mb" "$x_s" "$x_mb"
    worst_s=$(awk -v a="$worst_s" -v b="$e_s" 'BEGIN { print (b > a ? b : a) }')
    [ "$e_mb" -gt "$worst_mb" ] && worst_mb=$e_mb
done
echo "worst: $worst_s s, $worst_mb MB peak RSS (estuary parse, release build)"
echo "-----------------"
