#!/usr/bin/env bash
# Runs each fuzz target for RUNS inputs (default 10,000,000) with cargo-fuzz (installed with
# `cargo install cargo-fuzz`); the toolchain is stable, so RUSTC_BOOTSTRAP=1 lets it use the
# sanitizer flags. Any panic aborts the run and leaves the input in fuzz/artifacts/<target>/.
#
#   bash fuzz/run.sh                       # every target, 10 M inputs each
#   RUNS=100000 bash fuzz/run.sh tcp_frames
set -euo pipefail
cd "$(dirname "$0")"
RUNS="${RUNS:-10000000}"
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(decode_packet decode_binary tcp_frames udp_datagram receive_path)
export RUSTC_BOOTSTRAP=1
for target in "${TARGETS[@]}"; do
	mkdir -p "corpus/$target"
	# Seeds: the packets captured from Node.
	if [ "$target" = decode_packet ] || [ "$target" = receive_path ]; then
		for f in ../../shared/fixtures/packets/*.json; do
			[ -f "$f" ] || continue
			python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); sys.stdout.buffer.write(bytes([0]) + json.dumps(p.get("payload", {})).encode())' "$f" \
				>"corpus/$target/$(basename "$f" .json)" || true
		done
	fi
	# Seeds for the binary readers: Node's MsgPack packets.
	if [ "$target" = decode_binary ]; then
		for f in ../../shared/fixtures/packets/msgpack/*.json; do
			[ -f "$f" ] || continue
			python3 -c 'import json,sys,base64; p=json.load(open(sys.argv[1])); sys.stdout.buffer.write(bytes([0]) + base64.b64decode(p.get("raw_base64", "")))' "$f" \
				>"corpus/$target/$(basename "$f" .json)" || true
		done
	fi
	echo "== $target: $RUNS inputs"
	cargo fuzz run "$target" "corpus/$target" -- -runs="$RUNS" -max_len=4096 2>&1 | tail -n 3
done
