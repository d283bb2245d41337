#!/bin/sh
# Lookup benchmark: does a cycle slow down as the state grows?
#
# 1000 `file:` sources x 10 items are ingested once (10,000 items). A copy of that
# state is then padded to 1,000,000 items (990 other sources x 1000 items, with
# canonical links and title keys, so every index is as big as it would be). Each
# timed run rewrites every feed with a new lastBuildDate (so no body hash short-cuts
# the work) and one new item (so cross-source dedupe looks the new items up in the
# indexes), then runs `estuary once --force` on the small state and on the big one,
# alternating. Prints the medians and their ratio; target: the big state takes no
# longer than the small one, within noise.
#
#   Benchmarks/lookup-benchmark.sh [--runs N] [--binary PATH]
set -eu
cd "$(dirname "$0")/.."

RUNS=3
BINARY=.build/release/estuary
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--binary PATH]" >&2; exit 2 ;;
    esac
done
. Benchmarks/common.sh
install_missing python3 time
ensure_binary "$BINARY"

WORK=".build-bench/lookup"
rm -rf "$WORK"
mkdir -p "$WORK/small" "$WORK/big"
WORK=$(cd "$WORK" && pwd)

# feeds ROUND: writes the 1000 feeds, each with 10 fixed items plus one for this round.
feeds() {
    python3 - "$WORK/feeds" "$1" <<'PY'
import os, sys
folder, round_ = sys.argv[1], int(sys.argv[2])
os.makedirs(folder, exist_ok=True)
words = "river delta estuary tide salt harbour current bank reed heron silt marsh channel mouth spit lagoon".split()
for n in range(1000):
    items = []
    for i in list(range(10)) + ([1000 + round_] if round_ > 0 else []):
        title = " ".join(words[(n * 7 + i * 3 + k) % len(words)] for k in range(8)) + f" {n}-{i}"
        items.append(f"<item><title>{title}</title><link>https://site{n}.example/{i}</link>"
                     f"<guid>https://site{n}.example/{i}</guid><pubDate>Mon, 01 Jan 2024 {i % 24:02d}:00:00 GMT</pubDate>"
                     f"<description>&lt;p&gt;{title} {' '.join(words)}&lt;/p&gt;</description></item>")
    with open(f"{folder}/{n}.xml", "w") as f:
        f.write(f'<rss version="2.0"><channel><title>Site {n}</title>'
                f'<lastBuildDate>Mon, 01 Jan 2024 00:{round_ % 60:02d}:00 GMT</lastBuildDate>{"".join(items)}</channel></rss>\n')
PY
}

for state in small big; do
    {
        printf '[estuary]\nstate_dir = "state"\noutput_dir = "output"\n\n'
        n=0
        while [ $n -lt 1000 ]; do
            printf '[[source]]\nid = "s%d"\nurl = "file://%s/feeds/%d.xml"\n\n' $n "$WORK" $n
            n=$((n + 1))
        done
        printf '[[output]]\nname = "river"\nformats = ["json"]\nmax_items = 100\n'
    } >"$WORK/$state/estuary.toml"
done

echo "ingesting 10,000 items..." >&2
feeds 0
"$BINARY" once --config "$WORK/small/estuary.toml" >/dev/null 2>&1
cp -r "$WORK/small/state" "$WORK/big/state"

echo "padding the big state to 1,000,000 items..." >&2
python3 - "$WORK/big/state/estuary.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode = WAL")
def title_hash(key):
    # Estuary's stored title hash (Dedupe.titleHash): 64-bit FNV-1a of the UTF-8 bytes, as a signed integer.
    h = 0xcbf29ce484222325
    for b in key.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h - (1 << 64) if h >= 1 << 63 else h
words = "river delta estuary tide salt harbour current bank reed heron silt marsh channel mouth spit lagoon".split()
with db:
    for s in range(990):
        db.execute("INSERT INTO source (id, url) VALUES (?, ?)", (f"pad{s}", f"https://pad{s}.example/feed"))
        rows = []
        for i in range(1000):
            title = " ".join(words[(s * 5 + i * 11 + k) % len(words)] for k in range(8)) + f" pad {s}-{i}"
            link = f"https://pad{s}.example/{i}"
            rows.append((f"pad{s}", f"link:{link[8:]}", link, link, title, f"<p>{title}</p>", 1.7e9 + i, 1.7e9 + i,
                         "//pad%d.example/%d" % (s, i), title.lower(), title_hash(title.lower())))
        db.executemany(
            "INSERT INTO item (source_id, key, guid, link, title, summary, first_seen, sort_date, canonical_link, title_key,"
            " title_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print(db.execute("SELECT count(*) FROM item").fetchone()[0], "items in the big state", file=sys.stderr)
PY

# Wall time (the VM's disk and neighbours make it noisy) and CPU time (user + system, steadier).
: >"$WORK/small.times"
: >"$WORK/big.times"
round=1
while [ $round -le "$RUNS" ]; do
    feeds $round
    for state in small big; do
        /usr/bin/time -f "%e %U %S" -o "$WORK/time.out" "$BINARY" once --force --config "$WORK/$state/estuary.toml" \
            >/dev/null 2>&1
        awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$WORK/time.out" >>"$WORK/$state.times"
    done
    echo "round $round: small $(tail -1 "$WORK/small.times") ms, big $(tail -1 "$WORK/big.times") ms (wall cpu)" >&2
    round=$((round + 1))
done

median() { sort -n -k"$2" "$1" | awk -v k="$2" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'; }
echo "---- summary ----"
echo "Lookup benchmark (Benchmarks/lookup-benchmark.sh --runs $RUNS): a forced cycle over 1000 sources, each re-sending 10 items and adding 1"
awk -v sw="$(median "$WORK/small.times" 1)" -v bw="$(median "$WORK/big.times" 1)" \
    -v sc="$(median "$WORK/small.times" 2)" -v bc="$(median "$WORK/big.times" 2)" 'BEGIN {
    printf "wall: 10,000 stored items %d ms, 1,000,000 stored items %d ms, ratio %.2f\n", sw, bw, bw / sw
    r = bc / sc
    printf "cpu:  10,000 stored items %d ms, 1,000,000 stored items %d ms, ratio %.2f [target: no slower, within noise (<= 1.15): %s]\n",
        sc, bc, r, (r <= 1.15 ? "met" : "missed")
}'
echo "-----------------"
