#!/usr/bin/env bash
# Serializer throughput: Moleculer 0.15's serializer classes in Node (JSON, msgpack5,
# notepack.io, cbor-x) and 0.14's schema ones (protobufjs, avsc, thrift) beside moleculer-rs's, on the same REQ and RES packets (small and
# 10 kB payloads), in the same run. Prints the JSON lines, then a table of round trips
# (encode + decode) per second.
#   bash bench/serializers.sh              # 1 s per measure
#   BENCH_SECS=2 NO_BUILD=1 bash bench/serializers.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export BENCH_SECS="${BENCH_SECS:-1}"
if [ ! -d node_modules/thrift ]; then
	echo "installing the Node serializers (npm ci)..." >&2
	npm ci --no-audit --no-fund >&2
fi
if [ "${NO_BUILD:-0}" != 1 ]; then
	echo "building bench_serializers (release)..." >&2
	cargo build --release --quiet -p moleculer-examples --example bench_serializers
fi
out="$(mktemp)"
node serializers.js | tee "$out"
../target/release/examples/bench_serializers | tee -a "$out"
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const key = r => `${r.serializer} ${r.case}`;
const node = Object.fromEntries(rows.filter(r => r.impl === "node").map(r => [key(r), r]));
console.log("\n| serializer | case | bytes (Node / Rust) | encode/s Node / Rust | decode/s Node / Rust (payload to Value) | Rust envelope decode/s (payload kept) | round trips/s Node / Rust | Rust / Node |");
console.log("|---|---|---|---:|---:|---:|---:|---:|");
for (const r of rows.filter(r => r.impl === "rust")) {
	const n = node[key(r)];
	if (!n) continue;
	const f = x => x.toLocaleString("en-US");
	console.log(`| ${r.serializer} | ${r.case} | ${n.bytes} / ${r.bytes} | ${f(n.encode_per_sec)} / ${f(r.encode_per_sec)} | ${f(n.decode_per_sec)} / ${f(r.decode_per_sec)} | ${f(r.envelope_decode_per_sec)} | ${f(n.roundtrip_per_sec)} / ${f(r.roundtrip_per_sec)} | ${(r.roundtrip_per_sec / n.roundtrip_per_sec).toFixed(2)}x |`);
}
' "$out"
rm -f "$out"
