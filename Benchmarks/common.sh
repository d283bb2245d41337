# Shared by the fetch, store and lookup benchmarks (sourced, from the repository root).

# install_missing PACKAGE...: installs the Debian packages not installed yet (root or sudo).
install_missing() {
    missing=""
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
    done
    [ -n "$missing" ] || return 0
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
}

# ensure_binary PATH: the release build when PATH is the default and missing; any other missing PATH is an error.
ensure_binary() {
    [ -x "$1" ] && return 0
    [ "$1" = .build/release/estuary ] || { echo "no binary at $1" >&2; exit 1; }
    swift build -c release --product estuary
}
