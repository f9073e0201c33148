#!/usr/bin/env bash
# Instructions and heap allocations per operation of the Rust bench cases, counted with valgrind
# (callgrind for instructions, dhat for allocations). Deterministic, unlike wall-clock figures,
# so it is the number to compare before and after a runtime change. See BENCHMARKS.md.
#
#   bash bench/profile.sh                        # every case, 100k operations each
#   OPS=200000 bash bench/profile.sh validated_c1
#   KEEP=/tmp/prof bash bench/profile.sh validated_c1   # keep callgrind.<case>.out and
#                                                       # dhat.<case>.json there, for
#                                                       # callgrind_annotate / dh_view.html
#
# Each case runs twice (0 and OPS operations) and the difference is divided by OPS, so broker
# start-up is not counted. The c=100 cases run whole blocks of 64 calls per task.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OPS="${OPS:-100000}"
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(plain_c1 validated_c1 validated_json_c1 validated_c100_ct emit_c1)
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }

cd "$ROOT"
cargo build --release --quiet -p moleculer-examples --example bench_local
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_local"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# ops actually run by the bench for a requested count (c=100: 100 tasks x whole blocks of 64,
# at least one)
actual() {
	case "$1" in
	validated_c100*)
		local blocks=$(((($2 + 99) / 100 + 63) / 64))
		[ "$blocks" -gt 0 ] || blocks=1 # a task always runs one block
		echo $((100 * blocks * 64))
		;;
	*) echo "$2" ;;
	esac
}

ir() { # case ops -> total instructions
	BENCH_CASES="$1" BENCH_ITERS="$2" valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.$1.$2" "$BIN" 2>&1 >/dev/null |
		awk '/Collected/{print $4}' | tr -d ,
}
allocs() { # case ops -> total blocks allocated
	BENCH_CASES="$1" BENCH_ITERS="$2" valgrind --tool=dhat --dhat-out-file="$TMP/dhat.$1.$2" "$BIN" 2>&1 >/dev/null |
		awk '/Total:/{print $6}' | tr -d ,
}

printf '| case | instructions / op | heap allocations / op | bytes allocated / op |\n|---|---:|---:|---:|\n'
for c in "${CASES[@]}"; do
	n0=$(actual "$c" 0)
	n1=$(actual "$c" "$OPS")
	i0=$(ir "$c" 0)
	i1=$(ir "$c" "$OPS")
	a0=$(allocs "$c" 0)
	a1=$(allocs "$c" "$OPS")
	b0=$(BENCH_CASES="$c" BENCH_ITERS=0 valgrind --tool=dhat --dhat-out-file=/dev/null "$BIN" 2>&1 >/dev/null | awk '/Total:/{print $3}' | tr -d ,)
	b1=$(BENCH_CASES="$c" BENCH_ITERS="$OPS" valgrind --tool=dhat --dhat-out-file=/dev/null "$BIN" 2>&1 >/dev/null | awk '/Total:/{print $3}' | tr -d ,)
	awk -v c="$c" -v n="$((n1 - n0))" -v i="$((i1 - i0))" -v a="$((a1 - a0))" -v b="$((b1 - b0))" \
		'BEGIN { printf "| %s | %.0f | %.2f | %.0f |\n", c, i / n, a / n, b / n }'
	if [ -n "${KEEP:-}" ]; then
		mkdir -p "$KEEP"
		cp "$TMP/cg.$c.$OPS" "$KEEP/callgrind.$c.out"
		cp "$TMP/dhat.$c.$OPS" "$KEEP/dhat.$c.json"
	fi
done
[ -z "${KEEP:-}" ] || echo "profiles kept in $KEEP (callgrind_annotate --inclusive=yes $KEEP/callgrind.<case>.out)"
