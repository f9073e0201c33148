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
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(decode_packet decode_binary decode_schema tcp_frames udp_datagram receive_path)
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
	# Seeds for the schema readers: the 0.14 packets as Node's ProtoBuf, Avro and Thrift write
	# them (byte 0 = serializer * 12 + packet type).
	if [ "$target" = decode_schema ]; then
		for s in 0:ProtoBuf 1:Avro 2:Thrift; do
			node ../tests/node/encode.js "${s#*:}" ../../shared/fixtures/packets-v4 14 | python3 -c '
import base64, json, sys
types = ["EVENT", "REQ", "RES", "DISCOVER", "INFO", "DISCONNECT", "HEARTBEAT", "PING", "PONG", "GOSSIP_HELLO", "GOSSIP_REQ", "GOSSIP_RES"]
for line in sys.stdin:
    p = json.loads(line)
    first = int(sys.argv[1]) * 12 + types.index(p["subject"].split(".")[1])
    name = sys.argv[2] + "-" + p["name"].replace("#", "-")
    open(sys.argv[3] + "/" + name, "wb").write(bytes([first]) + base64.b64decode(p["raw_base64"]))
' "${s%%:*}" "${s#*:}" "corpus/$target"
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
