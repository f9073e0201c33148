#!/usr/bin/env bash
# Remote request/response over NATS at concurrency 1, 10 and 100, in one session:
#   - Node Moleculer 0.15.2: `node bench/nats_node.js server` (in the background for the whole run)
#     and `node bench/nats_node.js client` (one process per round), namespace `bench`;
#   - bare async-nats (`bench_nats_bare`): the transport's ceiling, NATS request/reply (`c<N>`)
#     and Moleculer's publish + own reply subject pattern (`pubsub_c<N>`), with the responder in
#     a second process as the Moleculer server is (`inproc_pubsub_c<N>`: in the same process);
#   - moleculer-rs (`bench_nats`, see below): `server` in the background, `client` per round,
#     namespace `bench-rs` (so that each client only reaches its own server).
# Runs the clients alternately ROUNDS times and prints a markdown table (median, min–max, mean
# latency, ratios to Node and to the bare pub/sub ceiling). A NATS server must be running at
# NATS_URL (default nats://127.0.0.1:4222). See BENCHMARKS.md.
#
#   bash bench/nats.sh                                  # 3 rounds x (3 s + 0.5 s warm-up) per case
#   ROUNDS=1 BENCH_SECS=2 BENCH_WARMUP=0.5 bash bench/nats.sh      # a quick look
#   BENCH_CASES=c1,pubsub_c1 bash bench/nats.sh         # a subset (each side runs the ones it knows)
#   CROSS=1 bash bench/nats.sh                          # also Rust client -> Node server and
#                                                       # Node client -> Rust server
#   NO_BUILD=1 bash bench/nats.sh                       # no cargo build: the release binaries
#                                                       # already in target/ (e.g. while the
#                                                       # workspace does not compile)
#
# The moleculer-rs side: RUST_MOLECULER_BIN=/path/to/binary, or else the example `bench_nats` of
# moleculer-examples (examples/examples/bench_nats.rs or an [[example]] named bench_nats), built
# here in release mode; if there is neither, that side is skipped. The binary's interface is the
# one of nats_node.js:
#   <bin> server   serve `bench.echo` (returns its params; `bench.echoJson` the same with JSON
#                  values, for BENCH_PARAMS=json) as node `bench-server-rs`, print one
#                  line `{"ready":true,...}` on stdout once discoverable, run until SIGTERM/SIGINT
#   <bin> client   as node `bench-client-rs`: wait for `bench.echo`, then per case of BENCH_CASES
#                  (default c1,c10,c100): BENCH_WARMUP s then BENCH_SECS s of N concurrent loops
#                  calling `bench.echo` with {"a":1,"b":"hello","c":[1,2,3]}, print one line
#                  {"impl":"<BENCH_IMPL or rust>","case":"c<N>","ops":N,"secs":S,"per_sec":R}
#   both           NATS_URL (transporter), BENCH_NAMESPACE (Moleculer namespace, default `bench`)
#
# TRANSPORT=redis (or `bash bench/redis.sh`) runs the same over Redis pub/sub at REDIS_URL
# (default redis://127.0.0.1:6379), with the bare redis crate (`bench_redis_bare`: publish and
# a subscribed response channel, id correlation, responder in a second process) as the ceiling.
#
# TRANSPORT=mqtt (or `bash bench/mqtt.sh`) runs the same over MQTT at MQTT_URL (default
# mqtt://127.0.0.1:1883), with bare rumqttc (`bench_mqtt_bare`) as the ceiling.
#
# TRANSPORT=amqp (or `bash bench/amqp.sh`) runs the same over RabbitMQ at AMQP_URL (default
# amqp://guest:guest@127.0.0.1:5672), with bare lapin (`bench_amqp_bare`: Moleculer's queues,
# prefetch 1 and acks) as the ceiling.
#
# TRANSPORT=tcp (or `bash bench/tcp.sh`) runs the same on the TCP transporter instead, with no
# message broker: static peers on 127.0.0.1 (Node on ports 6101/6102, Rust on 6201/6202), and
# bare tokio TCP (`bench_tcp_bare`) as the transport's ceiling instead of bare NATS: its
# responder in a second process as the Moleculer server is (`c<N>`), and both ends in one
# process (`inproc_c<N>`, no wake-up of another process per round trip).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
CROSS="${CROSS:-0}"
export BENCH_SECS="${BENCH_SECS:-3}"
export BENCH_WARMUP="${BENCH_WARMUP:-0.5}"
export NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}"
CASES="${BENCH_CASES:-}"
unset BENCH_CASES BENCH_IMPL BENCH_NAMESPACE
NODE_NS=bench
RUST_NS=bench-rs

# pick <regex> <default> -> comma list of the requested cases matching the regex, or the default
pick() {
	local re="$1" def="$2" out="" c
	if [ -z "$CASES" ]; then echo "$def"; return; fi
	for c in ${CASES//,/ }; do
		[[ "$c" =~ $re ]] && out="${out:+$out,}$c"
	done
	echo "$out"
}
NODE_PICK="$(pick '^c[0-9]+$' c1,c10,c100)"
RUST_PICK="$(pick '^c[0-9]+$' c1,c10,c100)"
BARE_PICK="$(pick '^(inproc_)?(pubsub_)?c[0-9]+$' c1,c10,c100,pubsub_c1,pubsub_c10,pubsub_c100,inproc_pubsub_c1,inproc_pubsub_c10,inproc_pubsub_c100)"
TRANSPORT="${TRANSPORT:-nats}"
NODE_TRANSPORTER="$NATS_URL"
RUST_TRANSPORTER="$NATS_URL"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
if [ "$TRANSPORT" = redis ]; then
	NODE_TRANSPORTER="$REDIS_URL"
	RUST_TRANSPORTER="$REDIS_URL"
	BARE_PICK="$(pick '^c[0-9]+$' c1,c10,c100)"
	CROSS=0
fi
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}"
if [ "$TRANSPORT" = amqp ]; then
	NODE_TRANSPORTER="$AMQP_URL"
	# AMQP_NODE_NODELAY=1: Node's amqplib socket without Nagle's algorithm (it keeps it by
	# default, and each round trip then waits for a delayed ACK).
	if [ "${AMQP_NODE_NODELAY:-0}" = 1 ]; then
		NODE_TRANSPORTER="{\"type\":\"AMQP\",\"options\":{\"url\":\"$AMQP_URL\",\"socketOptions\":{\"noDelay\":true}}}"
	fi
	RUST_TRANSPORTER="$AMQP_URL"
	BARE_PICK="$(pick '^c[0-9]+$' c1,c10,c100)"
	CROSS=0
fi
export MQTT_URL="${MQTT_URL:-mqtt://127.0.0.1:1883}"
if [ "$TRANSPORT" = mqtt ]; then
	NODE_TRANSPORTER="$MQTT_URL"
	RUST_TRANSPORTER="$MQTT_URL"
	BARE_PICK="$(pick '^c[0-9]+$' c1,c10,c100)"
	CROSS=0
fi
if [ "$TRANSPORT" = tcp ]; then
	NODE_TRANSPORTER="tcp://127.0.0.1:6101/bench-server-node,127.0.0.1:6102/bench-client-node"
	RUST_TRANSPORTER="tcp://127.0.0.1:6201/bench-server-rs,127.0.0.1:6202/bench-client-rs"
	BARE_PICK="$(pick '^(inproc_)?c[0-9]+$' c1,c10,c100,inproc_c1,inproc_c10,inproc_c100)"
	CROSS=0
fi

cd "$ROOT"

# Is the NATS server there? (first address of NATS_URL, without credentials)
hostport="${NATS_URL#*://}"
hostport="${hostport%%,*}"
hostport="${hostport##*@}"
hostport="${hostport%%/*}"
host="${hostport%:*}"
port="${hostport##*:}"
[ "$host" != "$hostport" ] || port=4222
if [ "$TRANSPORT" = redis ] || [ "$TRANSPORT" = mqtt ] || [ "$TRANSPORT" = amqp ]; then
	url="$REDIS_URL"
	[ "$TRANSPORT" != mqtt ] || url="$MQTT_URL"
	[ "$TRANSPORT" != amqp ] || url="$AMQP_URL"
	hostport="${url#*://}"
	hostport="${hostport##*@}"
	hostport="${hostport%%/*}"
	if ! timeout 3 bash -c "exec 3<>/dev/tcp/${hostport%:*}/${hostport##*:}" 2>/dev/null; then
		echo "no $TRANSPORT server at $url" >&2
		exit 1
	fi
elif [ "$TRANSPORT" != tcp ] && ! timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null; then
	echo "no NATS server at $NATS_URL (start one, e.g. \`nats-server -a 127.0.0.1 -p 4222\`)" >&2
	exit 1
fi

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples"
RUST_BIN="${RUST_MOLECULER_BIN:-}"
BARE_NAME=bench_nats_bare
[ "$TRANSPORT" != tcp ] || BARE_NAME=bench_tcp_bare
[ "$TRANSPORT" != redis ] || BARE_NAME=bench_redis_bare
[ "$TRANSPORT" != mqtt ] || BARE_NAME=bench_mqtt_bare
[ "$TRANSPORT" != amqp ] || BARE_NAME=bench_amqp_bare
EXAMPLES=(--example "$BARE_NAME")
if [ -z "$RUST_BIN" ] && { [ -f examples/examples/bench_nats.rs ] ||
	grep -Eq '^[[:space:]]*name[[:space:]]*=[[:space:]]*"bench_nats"' examples/Cargo.toml; }; then
	EXAMPLES+=(--example bench_nats)
	RUST_BIN="$TARGET/bench_nats"
fi
if [ "${NO_BUILD:-0}" = 1 ]; then
	echo "NO_BUILD=1: using the binaries already in $TARGET" >&2
else
	echo "building the Rust benches (release): ${EXAMPLES[*]//--example /}..." >&2
	cargo build --release --quiet -p moleculer-examples "${EXAMPLES[@]}"
fi
BARE_BIN="$TARGET/$BARE_NAME"
for bin in "$BARE_BIN" ${RUST_BIN:+"$RUST_BIN"}; do
	[ -x "$bin" ] || { echo "missing $bin" >&2; exit 1; }
done

if [ ! -d bench/node_modules/moleculer ] || [ ! -d bench/node_modules/nats ] || [ ! -d bench/node_modules/ioredis ] || [ ! -d bench/node_modules/mqtt ]; then
	echo "installing moleculer@0.15.2 and nats@2.29.3 (npm ci)..." >&2
	(cd bench && npm ci --no-audit --no-fund --silent)
fi

TMP="$(mktemp -d -t moleculer-nats-bench.XXXXXX)"
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server <name> <namespace> <command...>: in the background, waits for its `ready` line
start_server() {
	local name="$1" ns="$2" log="$TMP/$1.log" i
	shift 2
	BENCH_NAMESPACE="$ns" "$@" >"$log" 2>&1 &
	PIDS+=($!)
	for i in $(seq 1 300); do
		if grep -q '"ready"' "$log"; then
			echo "$name server: $(grep -m1 '"ready"' "$log")" >&2
			return 0
		fi
		if ! kill -0 "${PIDS[-1]}" 2>/dev/null; then break; fi
		sleep 0.1
	done
	echo "the $name server did not start:" >&2
	cat "$log" >&2
	exit 1
}

BENCH_TRANSPORTER="$NODE_TRANSPORTER" start_server node "$NODE_NS" node bench/nats_node.js server
if [ -n "$RUST_BIN" ]; then
	BENCH_TRANSPORTER="$RUST_TRANSPORTER" start_server rust "$RUST_NS" "$RUST_BIN" server
fi

OUT="$(mktemp -t moleculer-nats-bench.XXXXXX.jsonl)"
{
	echo "# $(date -u +%FT%TZ) nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')\""
	case "$TRANSPORT" in
	redis) server="$(redis-server --version 2>/dev/null | cut -d' ' -f1-3 || echo redis-server ?) at $REDIS_URL" ;;
	tcp) server="no broker" ;;
	mqtt) server="$(mosquitto -h 2>/dev/null | head -1 || echo mosquitto ?) at $MQTT_URL" ;;
	amqp) server="RabbitMQ $(rabbitmqctl version 2>/dev/null || echo ?) at ${AMQP_URL##*@}" ;;
	*) server="$(nats-server --version 2>/dev/null || echo nats-server ?) at $NATS_URL" ;;
	esac
	echo "# $(rustc --version) / node $(node --version) / $server / secs=$BENCH_SECS warmup=$BENCH_WARMUP rounds=$ROUNDS"
} >"$OUT"

for round in $(seq 1 "$ROUNDS"); do
	echo "round $round/$ROUNDS: node client -> node server..." >&2
	[ -z "$NODE_PICK" ] ||
		BENCH_CASES="$NODE_PICK" BENCH_NAMESPACE="$NODE_NS" BENCH_TRANSPORTER="$NODE_TRANSPORTER" \
			node bench/nats_node.js client | tee -a "$OUT" >&2
	echo "round $round/$ROUNDS: bare $TRANSPORT ($BARE_NAME)..." >&2
	[ -z "$BARE_PICK" ] || BENCH_CASES="$BARE_PICK" "$BARE_BIN" | tee -a "$OUT" >&2
	if [ -n "$RUST_BIN" ]; then
		echo "round $round/$ROUNDS: rust client -> rust server..." >&2
		[ -z "$RUST_PICK" ] ||
			BENCH_CASES="$RUST_PICK" BENCH_NAMESPACE="$RUST_NS" BENCH_TRANSPORTER="$RUST_TRANSPORTER" \
				"$RUST_BIN" client | tee -a "$OUT" >&2
		if [ "$CROSS" = 1 ]; then
			echo "round $round/$ROUNDS: rust client -> node server, node client -> rust server..." >&2
			[ -z "$RUST_PICK" ] || BENCH_CASES="$RUST_PICK" BENCH_NAMESPACE="$NODE_NS" \
				BENCH_IMPL=rust-to-node "$RUST_BIN" client | tee -a "$OUT" >&2
			[ -z "$NODE_PICK" ] || BENCH_CASES="$NODE_PICK" BENCH_NAMESPACE="$RUST_NS" \
				BENCH_IMPL=node-to-rust node bench/nats_node.js client | tee -a "$OUT" >&2
		fi
	else
		echo "round $round/$ROUNDS: rust moleculer: skipped: moleculer bench not built yet" \
			"(no examples/examples/bench_nats.rs, no RUST_MOLECULER_BIN)" >&2
	fi
done

echo >&2
head -2 "$OUT" | sed 's/^# /    /'
echo "    transport: $TRANSPORT"
echo
node bench/table.js --nats "$OUT"
[ -n "$RUST_BIN" ] || echo -e "\nmoleculer-rs: skipped: moleculer bench not built yet"
echo
echo "raw results: $OUT"
