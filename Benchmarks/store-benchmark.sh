#!/bin/sh
# Store benchmark: one `estuary once` ingesting 50,000 new items (1000 bundled
# feeds x 50 items, file: sources, so the network is out of the picture), then
# a second run in which nothing changed. Reports the share of the run spent in
# the store (target: under 25%) and whether the quiet runs changed any item.
#
#   Benchmarks/store-benchmark.sh [--feeds N] [--binary PATH]
set -eu
cd "$(dirname "$0")/.."

FEEDS=1000
BINARY=.build/release/estuary
while [ $# -gt 0 ]; do
    case "$1" in
        --feeds) FEEDS="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        *) echo "usage: $0 [--feeds N] [--binary PATH]" >&2; exit 2 ;;
    esac
done
. Benchmarks/common.sh
install_missing python3
ensure_binary "$BINARY"

WORK=".build-bench/store-$FEEDS"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
python3 - "$WORK" "$FEEDS" <<'PY'
import os, sys, random
folder, count = sys.argv[1], int(sys.argv[2])
os.makedirs(folder + "/feeds", exist_ok=True)
rng = random.Random(11)
words = "river delta estuary tide salt harbour current bank reed heron silt marsh channel mouth spit lagoon".split()
config = ['[estuary]\nstate_dir = "state"\noutput_dir = "output"\n\n']
for n in range(count):
    path = f"{folder}/feeds/{n}.xml"
    if not os.path.exists(path):
        items = []
        for i in range(50):
            title = " ".join(rng.choice(words) for _ in range(8)) + f" {n}-{i}"
            body = " ".join(rng.choice(words) for _ in range(200))
            items.append(f"<item><title>{title}</title><link>https://site{n}.example/{i}</link>"
                         f"<guid>https://site{n}.example/{i}</guid><pubDate>Mon, 01 Jan 2024 {i % 24:02d}:00:00 GMT</pubDate>"
                         f"<description>&lt;p&gt;{body}&lt;/p&gt;</description></item>")
        with open(path, "w") as f:
            f.write(f'<rss version="2.0"><channel><title>Site {n}</title>{"".join(items)}</channel></rss>\n')
    config.append(f'[[source]]\nid = "s{n}"\nurl = "file:feeds/{n}.xml"\n\n')
config.append('[[output]]\nname = "river"\nmax_items = 100\n')
open(folder + "/estuary.toml", "w").write("".join(config))
PY
rm -rf "$WORK/state" "$WORK/output"

"$BINARY" once --verbose --config "$WORK/estuary.toml" 2>"$WORK/full.stderr" >/dev/null
full=$(grep '^cycle ' "$WORK/full.stderr" | tail -1)
new=$(grep -o '([0-9]* new' "$WORK/full.stderr" | awk '{ gsub(/\(/, ""); s += $1 } END { print s + 0 }')
db="$WORK/state/estuary.sqlite"
# The items, whole: a quiet run may move each source's next fetch, never an item.
items() {
    python3 -c 'import sqlite3, sys, hashlib
rows = sqlite3.connect(sys.argv[1]).execute("SELECT * FROM item ORDER BY source_id, key").fetchall()
print(len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()[:16])' "$db"
}
before=$(items)
# --force: the sources are not due again yet; the quiet runs fetch them all anyway.
"$BINARY" once --force --verbose --config "$WORK/estuary.toml" 2>"$WORK/quiet.stderr" >/dev/null
quiet=$(grep '^cycle ' "$WORK/quiet.stderr" | tail -1)
"$BINARY" once --force --verbose --config "$WORK/estuary.toml" 2>"$WORK/quiet2.stderr" >/dev/null
after=$(items)
# Without --force nothing is due: the run must not write at all (database file and WAL byte for byte).
"$BINARY" once --config "$WORK/estuary.toml" 2>/dev/null >/dev/null
bytes_before=$(cat "$db" "$db-wal" 2>/dev/null | cksum)
"$BINARY" once --config "$WORK/estuary.toml" 2>/dev/null >/dev/null
bytes_after=$(cat "$db" "$db-wal" 2>/dev/null | cksum)
share=$(echo "$full" | sed -n 's/.*state transactions [0-9.]* s[ecs]* (\([0-9]*\)% of the run).*/\1/p')

echo "---- summary ----"
echo "Store benchmark (Benchmarks/store-benchmark.sh --feeds $FEEDS): $new new items in one run"
echo "full run: $full [store share target < 25%: $( [ "${share:-100}" -lt 25 ] && echo met || echo missed)]"
echo "quiet run: $quiet"
echo "quiet runs changed items: $( [ "$before" = "$after" ] && echo "none ($before)" || echo "some ($before -> $after)")"
echo "a run with nothing due wrote to the database: $( [ "$bytes_before" = "$bytes_after" ] && echo "nothing (file and WAL byte for byte)" || echo "something")"
echo "-----------------"
