#!/bin/sh
# Fetch benchmark: `estuary once` over N sources served by a local nginx
# (ETags on), against `curl --parallel --parallel-max 50` on the same URLs in
# the same run. Measures a full cycle (every source 200: fetch, parse, store,
# write) and a revalidation cycle (every source 304), and Estuary's peak RSS.
#
#   Benchmarks/fetch-benchmark.sh [--sources N] [--binary PATH]
#
# Installs nginx and GNU time from Debian's packages when missing (root or sudo).
# Per-host limits are lifted (every source shares one host): concurrency 50.
set -eu
cd "$(dirname "$0")/.."

SOURCES=10000
BINARY=.build/release/estuary
while [ $# -gt 0 ]; do
    case "$1" in
        --sources) SOURCES="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        *) echo "usage: $0 [--sources N] [--binary PATH]" >&2; exit 2 ;;
    esac
done

. Benchmarks/common.sh
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || install_missing nginx-light
install_missing time curl python3
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
ensure_binary "$BINARY"

WORK=".build-bench/fetch-$SOURCES"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
if [ ! -f "$WORK/corpus.done" ]; then
    python3 - "$WORK/feeds" "$SOURCES" <<'PY'
import os, sys, random
folder, count = sys.argv[1], int(sys.argv[2])
os.makedirs(folder, exist_ok=True)
rng = random.Random(7)
words = "river delta estuary tide salt harbour current bank reed heron silt marsh channel".split()
for n in range(count):
    items = []
    for i in range(5):
        title = " ".join(rng.choice(words) for _ in range(6))
        body = " ".join(rng.choice(words) for _ in range(60))
        items.append(f"<item><title>{title}</title><link>https://site{n}.example/{i}</link>"
                     f"<guid>https://site{n}.example/{i}</guid><pubDate>Mon, 0{1 + i} Jan 2024 10:00:00 GMT</pubDate>"
                     f"<description>&lt;p&gt;{body}&lt;/p&gt;</description></item>")
    with open(os.path.join(folder, f"{n}.xml"), "w") as f:
        f.write(f'<?xml version="1.0"?><rss version="2.0"><channel><title>Site {n}</title>'
                f'<link>https://site{n}.example/</link>{"".join(items)}</channel></rss>\n')
PY
    touch "$WORK/corpus.done"
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx.error.log;
events { worker_connections 4096; }
http {
    access_log off;
    etag on;
    keepalive_requests 100000;
    types { application/rss+xml xml; }
    server {
        listen 127.0.0.1:$PORT;
        root $WORK;
    }
}
CONF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK"
trap '"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" -s stop 2>/dev/null || true' EXIT INT TERM
sleep 0.5

# Estuary's config and curl's URL list: the same URLs.
{
    printf '[estuary]\nstate_dir = "state"\noutput_dir = "output"\n\n'
    printf '[fetch]\nallow_private_addresses = true\nconcurrency = 50\nper_host = 50\nhost_spacing = "0s"\n\n'
    n=0
    while [ "$n" -lt "$SOURCES" ]; do
        printf '[[source]]\nid = "s%d"\nurl = "http://127.0.0.1:%d/feeds/%d.xml"\n\n' "$n" "$PORT" "$n"
        n=$((n + 1))
    done
    printf '[[output]]\nname = "river"\nmax_items = 100\n'
} >"$WORK/estuary.toml"
n=0
: >"$WORK/curl.conf"
while [ "$n" -lt "$SOURCES" ]; do
    printf 'url = "http://127.0.0.1:%d/feeds/%d.xml"\noutput = "/dev/null"\n' "$PORT" "$n" >>"$WORK/curl.conf"
    n=$((n + 1))
done
rm -rf "$WORK/state" "$WORK/output"

timed() { # label, command...: prints "label seconds peak-KiB"
    label=$1; shift
    /usr/bin/time -f "$label %e %M" -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/$label.stderr" || {
        tail -5 "$WORK/$label.stderr" >&2; echo "$label failed" >&2; exit 1; }
    cat "$WORK/time.out"
}

# One untimed pass first: the first requests after nginx starts read cold files, and whichever
# tool ran first would pay for it (curl's time once doubled that way, making a ratio look met).
curl --parallel --parallel-max 50 -sS -K "$WORK/curl.conf" >/dev/null || { echo "fetch-benchmark: the warm-up curl pass failed" >&2; exit 1; }
curl_line=$(timed curl curl --parallel --parallel-max 50 -s -K "$WORK/curl.conf")
# Quiet, as curl -s is: a line per source on the console is work curl is not asked to do (0.05 s
# of a 0.58 s revalidation). What each source answered is read from the state afterwards.
# count_status CODE ITEMS: sources whose last answer was CODE with ITEMS items stored.
count_status() {
    "$BINARY" status --json --config "$WORK/estuary.toml" | python3 -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin) if s["lastStatus"] == int(sys.argv[1]) and s["items"] == int(sys.argv[2])))' "$1" "$2"
}
full_line=$(timed full "$BINARY" once --config "$WORK/estuary.toml")
ok200=$(count_status 200 5)
# --force: the sources are not due again yet; revalidate them all anyway.
reval_line=$(timed revalidate "$BINARY" once --force --config "$WORK/estuary.toml")
ok304=$(count_status 304 5)
curl_s=$(echo "$curl_line" | cut -d' ' -f2)
full_s=$(echo "$full_line" | cut -d' ' -f2)
reval_s=$(echo "$reval_line" | cut -d' ' -f2)
full_kib=$(echo "$full_line" | cut -d' ' -f3)
reval_kib=$(echo "$reval_line" | cut -d' ' -f3)

echo "---- summary ----"
echo "Fetch benchmark (Benchmarks/fetch-benchmark.sh --sources $SOURCES): nginx on 127.0.0.1, concurrency 50"
echo "sources answered: $ok200 x 200 on the full cycle, $ok304 x 304 on the revalidation cycle (of $SOURCES)"
awk -v c="$curl_s" -v f="$full_s" -v r="$reval_s" -v fk="$full_kib" -v rk="$reval_kib" 'BEGIN {
    printf "full cycle (fetch, parse, store, write): %.2fx curl (estuary %.2f s, curl --parallel %.2f s) [target <= 3x: %s]\n", f / c, f, c, (f / c <= 3 ? "met" : "missed")
    printf "revalidation cycle (all 304): %.2fx curl (estuary %.2f s) [target <= 1.0x: %s]\n", r / c, r, (r / c <= 1.0 ? "met" : "missed")
    peak = (fk > rk ? fk : rk) / 1024
    printf "peak RSS: %.0f MB [target < 150 MB: %s]\n", peak, (peak < 150 ? "met" : "missed")
}'
echo "-----------------"
