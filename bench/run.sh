#!/usr/bin/env bash
# Local `broker.call` / `emit` throughput: Node Moleculer 0.15.2 beside moleculer-rs, same machine,
# same session. Builds the Rust bench in release mode, runs Node and Rust alternately ROUNDS times,
# and prints a markdown table (median, min–max, Rust/Node ratio). See BENCHMARKS.md.
#
#   bash bench/run.sh                      # 3 rounds x (3 s + 0.5 s warm-up) per case, ~2 min
#   ROUNDS=5 BENCH_SECS=5 BENCH_WARMUP=1 bash bench/run.sh   # the long version
#   BENCH_CASES=validated_c1 bash bench/run.sh               # a subset (names as in local.js /
#                                                            # bench_local.rs; unknown ones are
#                                                            # skipped per side)
#   FLOOR=0 bash bench/run.sh                                # without bench_call_floor (the cost
#                                                            # of a call's pieces, no Moleculer)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
export BENCH_SECS="${BENCH_SECS:-3}"
export BENCH_WARMUP="${BENCH_WARMUP:-0.5}"
CASES="${BENCH_CASES:-}"
unset BENCH_CASES BENCH_ITERS

NODE_CASES="plain_c1 validated_c1 validated_c100 emit_c1 mw5_c1 fault_c1 metrics_c1 tracing_c1 debug_off_c1 cache_hit_c1 lru_hit_c1 lru_miss_c1 redis_hit_c1 redis_miss_c1"
RUST_CASES="plain_c1 validated_c1 validated_json_c1 validated_c100 validated_c100_ct emit_c1 mw5_c1 fault_c1 metrics_c1 tracing_c1 debug_off_c1 cache_hit_c1 lru_hit_c1 lru_miss_c1 redis_hit_c1 redis_miss_c1 redis_bare_get_c1"
pick() { # pick "<known cases>" -> comma list of the requested ones that this side knows
	local known="$1" out="" c
	if [ -z "$CASES" ]; then echo "${known// /,}"; return; fi
	for c in ${CASES//,/ }; do
		case " $known " in *" $c "*) out="${out:+$out,}$c" ;; esac
	done
	echo "$out"
}
NODE_PICK="$(pick "$NODE_CASES")"
RUST_PICK="$(pick "$RUST_CASES")"

cd "$ROOT"
echo "building the Rust bench (release)..." >&2
cargo build --release --quiet -p moleculer-examples --example bench_local --example bench_call_floor
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_local"
FLOOR_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_call_floor"

if [ ! -d bench/node_modules/moleculer ]; then
	echo "installing moleculer@0.15.2 (npm ci)..." >&2
	(cd bench && npm ci --no-audit --no-fund --silent)
fi

OUT="$(mktemp -t moleculer-bench.XXXXXX.jsonl)"
{
	echo "# $(date -u +%FT%TZ) nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')\""
	echo "# $(rustc --version) / node $(node --version) / secs=$BENCH_SECS warmup=$BENCH_WARMUP rounds=$ROUNDS"
} >"$OUT"

for round in $(seq 1 "$ROUNDS"); do
	echo "round $round/$ROUNDS: node..." >&2
	[ -z "$NODE_PICK" ] || BENCH_CASES="$NODE_PICK" node bench/local.js | tee -a "$OUT" >&2
	echo "round $round/$ROUNDS: rust..." >&2
	[ -z "$RUST_PICK" ] || BENCH_CASES="$RUST_PICK" "$BIN" | tee -a "$OUT" >&2
	if [ "${FLOOR:-1}" = 1 ]; then
		echo "round $round/$ROUNDS: floor (no Moleculer)..." >&2
		"$FLOOR_BIN" | tee -a "$OUT" >&2
	fi
done

echo >&2
head -2 "$OUT" | sed 's/^# /    /'
echo
node bench/table.js "$OUT"
echo
echo "raw results: $OUT"
