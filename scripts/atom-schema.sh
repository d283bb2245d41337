#!/bin/sh
# Fetches RFC 4287's RELAX NG schema for Atom 1.0 (Appendix B) for the tests, and
# prints its path. No Debian package ships it; lxml's source distribution on PyPI
# does (doc/s5/ep2008/atom.rng, a trang conversion of the RFC's schema, unchanged
# since 2008). It is downloaded at test time, never committed, and its SHA-256 is
# checked so that a change upstream fails loudly.
#   scripts/atom-schema.sh     -> .build/atom-schema/atom.rng
set -eu
cd "$(dirname "$0")/.."

VERSION=6.1.3
SUM=70b55456be7bbb598528c9bb868845c3bcc8f7b73c26135136cf4e0f0204df0d
DIR=.build/atom-schema
SCHEMA="$DIR/atom.rng"

verified() { [ -f "$SCHEMA" ] && echo "$SUM  $SCHEMA" | sha256sum -c --status - ; }

if ! verified; then
    mkdir -p "$DIR/download"
    # The source distribution (a wheel has no doc/); pip reads its metadata, which needs
    # libxml2-dev and libxslt1-dev (scripts/install-deps.sh --test).
    python3 -m pip download --quiet --no-deps --no-binary lxml "lxml==$VERSION" -d "$DIR/download" >&2
    tar -xzf "$DIR/download/lxml-$VERSION.tar.gz" -C "$DIR/download" "lxml-$VERSION/doc/s5/ep2008/atom.rng"
    cp "$DIR/download/lxml-$VERSION/doc/s5/ep2008/atom.rng" "$SCHEMA"
    verified || { echo "atom-schema: $SCHEMA does not have the expected SHA-256 $SUM" >&2; exit 1; }
fi
echo "$(pwd)/$SCHEMA"
