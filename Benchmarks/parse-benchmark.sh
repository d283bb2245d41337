#!/bin/sh
# Parse benchmark: `estuary parse --jsonl` against `xmllint --noout --stream`
# on the same generated corpus, in the same run. See Benchmarks/README.md.
#
# Usage: Benchmarks/parse-benchmark.sh [--scale F] [--runs N] [--binary PATH]
set -eu

usage() {
    cat <<'EOF'
Usage: Benchmarks/parse-benchmark.sh [--scale F] [--runs N] [--binary PATH]

  --scale F      corpus scale (default 1: 1000 feeds, ~250 MB, plus a ~50 MB feed)
  --runs N       timed runs per tool, alternating (default 5); medians are reported
  --binary PATH  estuary binary (default .build/release/estuary, built if missing)

The corpus is generated once into .build-bench/corpus-<scale>/ and reused.
Missing tools (xmllint from libxml2-utils, GNU time, python3) are installed
with apt-get.
EOF
}

die() {
    echo "parse-benchmark: $*" >&2
    exit 1
}

SCALE=1
RUNS=5
BINARY=""
while [ $# -gt 0 ]; do
    case $1 in
        --scale) [ $# -ge 2 ] || die "--scale needs a value"; SCALE=$2; shift 2 ;;
        --scale=*) SCALE=${1#*=}; shift ;;
        --runs) [ $# -ge 2 ] || die "--runs needs a value"; RUNS=$2; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a value"; BINARY=$2; shift 2 ;;
        --binary=*) BINARY=${1#*=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "parse-benchmark: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

case $RUNS in
    '' | *[!0-9]*) die "--runs must be a positive integer, not '$RUNS'" ;;
esac
[ "$RUNS" -ge 1 ] || die "--runs must be at least 1"

# A relative --binary is relative to where the script was started from.
if [ -n "$BINARY" ]; then
    case $BINARY in
        /*) ;;
        *) BINARY="$(pwd)/$BINARY" ;;
    esac
fi

cd "$(dirname "$0")/.."
ROOT=$(pwd)

# ---- Tools ----------------------------------------------------------------------------------------------

missing=""
command -v xmllint >/dev/null 2>&1 || missing="$missing libxml2-utils"
[ -x /usr/bin/time ] || missing="$missing time"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
if [ -n "$missing" ]; then
    echo "parse-benchmark: installing missing Debian packages:$missing" >&2
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        die "run as root, or install them yourself: apt-get install$missing"
    fi
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# Canonical scale: "0.010", ".01" and "1e-2" share one corpus folder.
SCALE=$(python3 -c '
import math, sys
try:
    f = float(sys.argv[1])
except ValueError:
    sys.exit(1)
if not (f > 0 and math.isfinite(f)):
    sys.exit(1)
print("%g" % f)
' "$SCALE") || die "--scale must be a number greater than 0"

if [ -z "$BINARY" ]; then
    BINARY="$ROOT/.build/release/estuary"
    if [ ! -x "$BINARY" ]; then
        echo "parse-benchmark: $BINARY is missing; building it" >&2
        ./scripts/install-deps.sh
        swift build -c release --product estuary
    fi
fi
[ -x "$BINARY" ] || die "no executable estuary binary at $BINARY"

# ---- Corpus ---------------------------------------------------------------------------------------------

BENCH_DIR="$ROOT/.build-bench"
CORPUS="$BENCH_DIR/corpus-$SCALE"
GENERATOR="Benchmarks/generate_corpus.py"
GENERATOR_SUM=$(sha256sum "$GENERATOR" | cut -d' ' -f1)
STAMP="$CORPUS/.generated"

if [ -f "$STAMP" ] && [ "$(head -n 1 "$STAMP")" = "generator $GENERATOR_SUM" ]; then
    echo "corpus: reusing $CORPUS"
else
    if [ -d "$CORPUS" ]; then
        echo "corpus: $CORPUS is incomplete or from another version of $GENERATOR; regenerating"
    else
        echo "corpus: generating $CORPUS (scale $SCALE)"
    fi
    mkdir -p "$BENCH_DIR"
    rm -rf "$CORPUS.tmp"
    python3 "$GENERATOR" --scale "$SCALE" "$CORPUS.tmp" >"$BENCH_DIR/generate.out"
    { echo "generator $GENERATOR_SUM"; cat "$BENCH_DIR/generate.out"; } >"$CORPUS.tmp/.generated"
    rm -f "$BENCH_DIR/generate.out"
    rm -rf "$CORPUS"
    mv "$CORPUS.tmp" "$CORPUS"
fi
sed -n 's/^/  /; s/\.tmp$//; 2,$p' "$STAMP"

WORK=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# Paths relative to the repository keep the command lines short; both tools get
# exactly the same batches (xargs -n, far below the command-line size limit).
BATCH=1000
(cd "$ROOT" && find ".build-bench/corpus-$SCALE/feeds" -name '*.xml' -type f -print0 | LC_ALL=C sort -z) >"$WORK/files"
FILES=$(tr -cd '\0' <"$WORK/files" | wc -c)
[ "$FILES" -gt 0 ] || die "no feed files in $CORPUS/feeds"
BYTES=$(xargs -0 -n "$BATCH" cat <"$WORK/files" | wc -c)
BIG="$CORPUS/big/big-feed.xml"
BIG_BYTES=$(wc -c <"$BIG")
BATCHES=$(((FILES + BATCH - 1) / BATCH))

# ---- Helpers --------------------------------------------------------------------------------------------

# fmt_s SECONDS: 2 decimals from 1 s up, 3 below.
fmt_s() { awk -v t="$1" 'BEGIN { if (t >= 1) printf "%.2f", t; else printf "%.3f", t }'; }
# mbps BYTES SECONDS
mbps() { awk -v b="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", b / 1e6 / t; else print "inf" }'; }
# ratio A B
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
# met VALUE LIMIT STRICT: "met" or "missed"
met() { awk -v v="$1" -v l="$2" -v s="$3" 'BEGIN { ok = s ? v < l : v <= l; print ok ? "met" : "missed" }'; }
# median FILE COLUMN
median() {
    awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '
        { v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# timed NAME COMMAND...: runs COMMAND (stdout to /dev/null, stderr kept), appends
# "wall_seconds cpu_seconds" to $WORK/NAME.times and sets LAST_WALL. A command
# that fails makes the whole benchmark fail: a tool that stops early is fast.
timed() {
    name=$1
    shift
    start=$(date +%s%N)
    status=0
    /usr/bin/time -f '%U %S' -o "$WORK/rusage" "$@" >/dev/null 2>"$WORK/$name.err" || status=$?
    end=$(date +%s%N)
    if [ "$status" -ne 0 ]; then
        echo "parse-benchmark: '$*' failed (status $status):" >&2
        head -n 20 "$WORK/$name.err" >&2
        exit 1
    fi
    cpu=$(tail -n 1 "$WORK/rusage" | awk '{ printf "%.2f", $1 + $2 }')
    LAST_WALL=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", (e - s) / 1e9 }')
    echo "$LAST_WALL $cpu" >>"$WORK/$name.times"
}

run_xmllint() { timed xmllint xargs -0 -n "$BATCH" xmllint --noout --stream <"$WORK/files"; }
run_estuary() { timed estuary xargs -0 -n "$BATCH" "$BINARY" parse --jsonl <"$WORK/files"; }
run_nosanitize() { timed nosanitize xargs -0 -n "$BATCH" "$BINARY" parse --jsonl --no-sanitize <"$WORK/files"; }

# ---- Setup report ---------------------------------------------------------------------------------------

if "$BINARY" parse --help 2>&1 | grep -q -- '--no-sanitize'; then
    NOSANITIZE=1
else
    NOSANITIZE=0
fi
ESTUARY_VERSION=$("$BINARY" --version 2>/dev/null || echo unknown)
XMLLINT_VERSION=$(xmllint --version 2>&1 | head -n 1 | sed 's/.*version //')
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
MACHINE="${CPU:-unknown CPU}, $(nproc) CPUs, $(uname -sr)"
case $BINARY in
    */debug/*) BUILD_NOTE=" (DEBUG build: not comparable with the targets)" ;;
    *) BUILD_NOTE="" ;;
esac

echo "machine: $MACHINE"
echo "estuary: $BINARY, version $ESTUARY_VERSION$BUILD_NOTE"
echo "xmllint: $(command -v xmllint), libxml2 $XMLLINT_VERSION"
echo "corpus:  $FILES feed files, $BYTES bytes, in $BATCHES batch(es) of up to $BATCH files per process"
if [ "$NOSANITIZE" -eq 0 ]; then
    echo "note: this estuary has no 'parse --no-sanitize'; the parse-only measurement (c) is skipped"
fi

# ---- Check and warm up (untimed) ------------------------------------------------------------------------
# Both tools read every file once (this also fills the page cache), and the
# records are checked: one per file, no errors, all well formed, all items.

echo "check: xmllint --noout --stream on every file"
xargs -0 -n "$BATCH" xmllint --noout --stream <"$WORK/files" >/dev/null 2>"$WORK/check.err" ||
    { head -n 20 "$WORK/check.err" >&2; die "xmllint rejects part of the corpus"; }
echo "check: estuary parse --jsonl on every file"
status=0
xargs -0 -n "$BATCH" "$BINARY" parse --jsonl <"$WORK/files" 2>"$WORK/check.err" |
    python3 -c '
import json, sys
files, per_feed = int(sys.argv[1]), 50
lines = errors = malformed = items = 0
for line in sys.stdin:
    record = json.loads(line)
    lines += 1
    if "error" in record:
        errors += 1
        continue
    malformed += not record["wellFormed"]
    items += len(record["items"])
print("  %d records, %d errors, %d not well formed, %d items" % (lines, errors, malformed, items))
sys.exit(0 if (lines, errors, malformed, items) == (files, 0, 0, files * per_feed) else 1)
' "$FILES" || status=$?
if [ "$status" -ne 0 ]; then
    head -n 20 "$WORK/check.err" >&2
    die "estuary's records do not match the corpus ($FILES files, 50 items each)"
fi

# ---- Timed runs -----------------------------------------------------------------------------------------
# Alternating: odd runs go xmllint, estuary, no-sanitize; even runs the
# other way round, so drift (thermal, other load) hits all tools alike.

echo
echo "timed runs (wall seconds):"
i=1
while [ "$i" -le "$RUNS" ]; do
    line="  run $i/$RUNS:"
    if [ $((i % 2)) -eq 1 ]; then
        run_xmllint; line="$line xmllint $(fmt_s "$LAST_WALL")"
        run_estuary; line="$line | estuary $(fmt_s "$LAST_WALL")"
        if [ "$NOSANITIZE" -eq 1 ]; then run_nosanitize; line="$line | --no-sanitize $(fmt_s "$LAST_WALL")"; fi
    else
        if [ "$NOSANITIZE" -eq 1 ]; then run_nosanitize; line="$line --no-sanitize $(fmt_s "$LAST_WALL") |"; fi
        run_estuary; line="$line estuary $(fmt_s "$LAST_WALL")"
        run_xmllint; line="$line | xmllint $(fmt_s "$LAST_WALL")"
    fi
    echo "$line"
    i=$((i + 1))
done

X_WALL=$(median "$WORK/xmllint.times" 1)
X_CPU=$(median "$WORK/xmllint.times" 2)
E_WALL=$(median "$WORK/estuary.times" 1)
E_CPU=$(median "$WORK/estuary.times" 2)
E_RATIO=$(ratio "$E_WALL" "$X_WALL")
if [ "$NOSANITIZE" -eq 1 ]; then
    N_WALL=$(median "$WORK/nosanitize.times" 1)
    N_CPU=$(median "$WORK/nosanitize.times" 2)
    N_RATIO=$(ratio "$N_WALL" "$X_WALL")
fi

# ---- Peak memory on the single big feed -----------------------------------------------------------------

MEM_RUNS=$RUNS
[ "$MEM_RUNS" -le 3 ] || MEM_RUNS=3
peak_rss() { # NAME COMMAND...: appends "peak_kib wall_seconds" to $WORK/NAME.mem
    name=$1
    shift
    status=0
    start=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$WORK/rusage" "$@" >/dev/null 2>"$WORK/$name.err" || status=$?
    end=$(date +%s%N)
    [ "$status" -eq 0 ] || { head -n 20 "$WORK/$name.err" >&2; die "'$*' failed (status $status)"; }
    echo "$(tail -n 1 "$WORK/rusage") $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", (e - s) / 1e9 }')" \
        >>"$WORK/$name.mem"
}
# The baseline: the same command on a one-item feed (runtime, libraries, code).
cat >"$WORK/tiny.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title><link>https://example.com/</link>
<item><title>t</title><link>https://example.com/1</link><description>&lt;p&gt;x&lt;/p&gt;</description></item>
</channel></rss>
EOF
i=1
while [ "$i" -le "$MEM_RUNS" ]; do
    # The big feed is over the default 16 MiB input cap on purpose: raise it for this run.
    peak_rss big-estuary "$BINARY" parse --jsonl --max-bytes 134217728 "$BIG"
    peak_rss big-xmllint xmllint --noout --stream "$BIG"
    peak_rss tiny-estuary "$BINARY" parse --jsonl "$WORK/tiny.xml"
    i=$((i + 1))
done
# The largest peak of the runs (the target is a ceiling), the median time.
E_PEAK_KIB=$(sort -n "$WORK/big-estuary.mem" | tail -n 1 | cut -d' ' -f1)
X_PEAK_KIB=$(sort -n "$WORK/big-xmllint.mem" | tail -n 1 | cut -d' ' -f1)
E_BIG_WALL=$(median "$WORK/big-estuary.mem" 2)
X_BIG_WALL=$(median "$WORK/big-xmllint.mem" 2)
BASE_KIB=$(sort -n "$WORK/tiny-estuary.mem" | tail -n 1 | cut -d' ' -f1)
BASE_MB=$(awk -v k="$BASE_KIB" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }')
E_PEAK_MB=$(awk -v k="$E_PEAK_KIB" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }')
X_PEAK_MB=$(awk -v k="$X_PEAK_KIB" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }')
BIG_MB=$(awk -v b="$BIG_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')
MEM_RATIO=$(ratio "$((E_PEAK_KIB * 1024))" "$BIG_BYTES")

# ---- Report ---------------------------------------------------------------------------------------------

if [ "$RUNS" -eq 1 ]; then RUNS_TEXT="1 run"; else RUNS_TEXT="$RUNS runs"; fi
CORPUS_MB=$(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1e6 }')
echo
echo "results: median of $RUNS_TEXT over $FILES files, $CORPUS_MB MB (MB = 10^6 bytes)"
printf '  %-42s %10s %8s %10s %8s\n' "command" "wall" "MB/s" "CPU" "ratio"
printf '  %-42s %8s s %8s %8s s %8s\n' "xmllint --noout --stream" "$(fmt_s "$X_WALL")" "$(mbps "$BYTES" "$X_WALL")" \
    "$(fmt_s "$X_CPU")" "1.00x"
printf '  %-42s %8s s %8s %8s s %8s\n' "estuary parse --jsonl" "$(fmt_s "$E_WALL")" "$(mbps "$BYTES" "$E_WALL")" \
    "$(fmt_s "$E_CPU")" "${E_RATIO}x"
if [ "$NOSANITIZE" -eq 1 ]; then
    printf '  %-42s %8s s %8s %8s s %8s\n' "estuary parse --jsonl --no-sanitize" "$(fmt_s "$N_WALL")" \
        "$(mbps "$BYTES" "$N_WALL")" "$(fmt_s "$N_CPU")" "${N_RATIO}x"
else
    printf '  %-42s %s\n' "estuary parse --jsonl --no-sanitize" "skipped: flag not supported by this binary"
fi
echo "peak RSS on $BIG ($BIG_BYTES bytes), largest of $MEM_RUNS runs:"
echo "  estuary parse --jsonl:     $E_PEAK_MB MB (${MEM_RATIO}x the file), $(fmt_s "$E_BIG_WALL") s"
echo "  xmllint --noout --stream:  $X_PEAK_MB MB, $(fmt_s "$X_BIG_WALL") s"
echo "  estuary on a one-item feed (baseline: runtime and libraries): $BASE_MB MB"

XMLLINT_PART="xmllint $(fmt_s "$X_WALL") s, $(mbps "$BYTES" "$X_WALL") MB/s"
echo
echo "---- summary ----"
echo "Parse benchmark (Benchmarks/parse-benchmark.sh --scale $SCALE --runs $RUNS): $FILES feeds, $CORPUS_MB MB, median of $RUNS_TEXT"
echo "machine: $MACHINE; estuary $ESTUARY_VERSION$BUILD_NOTE; libxml2 $XMLLINT_VERSION"
echo "parse+sanitize: ${E_RATIO}x xmllint (estuary $(fmt_s "$E_WALL") s, $(mbps "$BYTES" "$E_WALL") MB/s; $XMLLINT_PART) [target <= 2.0x: $(met "$E_RATIO" 2.0 0)]"
if [ "$NOSANITIZE" -eq 1 ]; then
    echo "parse only (--no-sanitize): ${N_RATIO}x xmllint (estuary $(fmt_s "$N_WALL") s, $(mbps "$BYTES" "$N_WALL") MB/s; $XMLLINT_PART) [target <= 1.3x: $(met "$N_RATIO" 1.3 0)]"
else
    echo "parse only (--no-sanitize): not measured, this estuary has no --no-sanitize [target <= 1.3x]"
fi
echo "peak RSS, $BIG_MB MB feed: $E_PEAK_MB MB, ${MEM_RATIO}x the file (estuary baseline $BASE_MB MB; xmllint --stream $X_PEAK_MB MB) [target < 2x: $(met "$MEM_RATIO" 2.0 1)]"
echo "-----------------"
