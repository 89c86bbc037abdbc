#!/usr/bin/env bash
# Build the peer tools the benchmarks compare against — pluto (FairwindsOps/pluto) and
# kubent (doitintl/kube-no-trouble) — from their public source trees, with the machine's Go.
#
# Usage: bench/build_peers.sh --pluto SRC --kubent SRC [--out DIR]
#
# SRC is either a checked-out source tree (it has go.mod) or a bare git directory (its HEAD is
# exported to a temporary directory first). Go modules come from the Go module proxy.
# The binaries land in DIR (default ~/.cache/kubecurrent/bench) as DIR/pluto and DIR/kubent,
# with DIR/peers.txt recording the commit each was built from. Nothing is copied into the project.
set -euo pipefail

usage() {
    echo "usage: $0 --pluto SRC --kubent SRC [--out DIR]" >&2
    echo "  SRC: a source tree with go.mod, or a bare git dir (e.g. from 'git clone --bare')" >&2
    exit 2
}

pluto_src=""
kubent_src=""
out="${HOME}/.cache/kubecurrent/bench"
while [ $# -gt 0 ]; do
    case "$1" in
        --pluto) pluto_src="${2:-}"; shift 2 ;;
        --kubent) kubent_src="${2:-}"; shift 2 ;;
        --out) out="${2:-}"; shift 2 ;;
        -h|--help) usage ;;
        *) echo "unknown argument: $1" >&2; usage ;;
    esac
done
[ -n "$pluto_src" ] && [ -n "$kubent_src" ] || usage
command -v go >/dev/null || { echo "go not found on PATH: install Go >= 1.23 first" >&2; exit 1; }
command -v git >/dev/null || { echo "git not found on PATH" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# Print a directory holding the source of $1 (a tree, or a bare git dir exported at HEAD).
source_tree() {
    local src="$1" name="$2"
    if [ -f "$src/go.mod" ]; then
        echo "$src"
    elif git --git-dir="$src" rev-parse --verify -q HEAD >/dev/null 2>&1; then
        mkdir -p "$work/$name"
        git --git-dir="$src" archive HEAD | tar -x -C "$work/$name"
        echo "$work/$name"
    else
        echo "$name source '$src' is neither a tree with go.mod nor a git directory;" \
             "pass a checkout of the $name repository" >&2
        exit 1
    fi
}

# Print the commit of $1 if it is (or is inside) a git repository, else "unknown".
source_commit() {
    local src="$1"
    git --git-dir="$src" rev-parse HEAD 2>/dev/null \
        || git -C "$src" rev-parse HEAD 2>/dev/null \
        || echo unknown
}

export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--buildvcs=false}"

pluto_tree="$(source_tree "$pluto_src" pluto)"
pluto_commit="$(source_commit "$pluto_src")"
echo "building pluto from $pluto_commit ..." >&2
(cd "$pluto_tree" && go build -trimpath \
    -ldflags "-s -w -X main.version=src-${pluto_commit:0:12} -X main.commit=$pluto_commit" \
    -o "$out/pluto" ./cmd/pluto)

kubent_tree="$(source_tree "$kubent_src" kubent)"
kubent_commit="$(source_commit "$kubent_src")"
echo "building kubent from $kubent_commit ..." >&2
(cd "$kubent_tree" && go build -trimpath \
    -ldflags "-s -w -X main.version=src-${kubent_commit:0:12} -X main.gitSha=$kubent_commit" \
    -o "$out/kubent" ./cmd/kubent)

printf 'pluto %s\nkubent %s\n' "$pluto_commit" "$kubent_commit" > "$out/peers.txt"
"$out/pluto" version >&2 || true
"$out/kubent" --version >&2 || true
echo "peers built in $out" >&2
