#!/usr/bin/env node
/*
 * Reads the JSON lines printed by `local.js` and `bench_local` (stdin or files given as
 * arguments) and prints a markdown table: median and min–max per case and implementation,
 * and the ratio of the Rust median to the median of the comparable Node case.
 *
 * With `--nats` (bench/nats.sh), reads the lines of `nats_node.js`, `bench_nats_bare` and
 * `bench_nats` instead (cases `c<N>` and `<variant>_c<N>`) and prints one row per concurrency
 * and side: median and min–max req/s, the mean latency (c / throughput), and the ratios to Node
 * Moleculer and to the bare async-nats pub/sub ceiling at the same concurrency.
 */
"use strict";

const fs = require("fs");

// Rust case -> the Node case it is compared with (Node has no typed params and one thread).
const ROWS = [
	["plain_c1", "plain_c1", "plain call, c=1 (no params)"],
	["validated_c1", "validated_c1", "validated `math.add`, c=1, Rust: typed params (moved, no JSON)"],
	["validated_json_c1", "validated_c1", "validated `math.add`, c=1, Rust: `json!` params (fastest-validator path)"],
	["validated_c100", "validated_c100", "validated `math.add`, c=100, Rust: multi-thread runtime, 2 workers"],
	["validated_c100_ct", "validated_c100", "validated `math.add`, c=100, Rust: current-thread runtime (1 core)"],
	["emit_c1", "emit_c1", "`emit` to 1 local handler, c=1"],
	["mw5_c1", "mw5_c1", "validated `math.add`, c=1, 5 user middlewares (Rust: typed params)"],
	["metrics_c1", "metrics_c1", "validated `math.add`, c=1, metrics on (Rust: typed params)"],
	["tracing_c1", "tracing_c1", "validated `math.add`, c=1, tracing on, Event exporter (Rust: typed params)"],
	["debug_off_c1", "debug_off_c1", "validated `math.logged`, c=1, a `debug` log below the level (Rust: typed params)"],
	["fault_c1", "fault_c1", "validated `math.add`, c=1, bulkhead + breaker + retry + tracking on (Rust: typed params)"],
	["cache_hit_c1", "cache_hit_c1", "cached `math.cached`, c=1, Memory cacher, every call a hit (Rust: typed params)"],
	["lru_hit_c1", "lru_hit_c1", "cached `math.cached`, c=1, MemoryLRU cacher, every call a hit (Rust: typed params)"],
	["lru_miss_c1", "lru_miss_c1", "cached `math.cached`, c=1, MemoryLRU (max 1000), every call a miss (Rust: typed params)"],
	["redis_hit_c1", "redis_hit_c1", "cached `math.cached`, c=1, Redis cacher, every call a hit (Rust: typed params)"],
	["redis_miss_c1", "redis_miss_c1", "cached `math.cached`, c=1, Redis cacher, every call a miss (Rust: typed params)"],
	["redis_bare_get_c1", null, "bare Redis `GET` of one key, c=1, redis crate (the ceiling of a Redis hit)"]
];

const NATS = process.argv.includes("--nats");
const files = process.argv.slice(2).filter(a => !a.startsWith("--"));
const text = files.length
	? files.map(f => fs.readFileSync(f, "utf8")).join("\n")
	: fs.readFileSync(0, "utf8");

const runs = {}; // impl -> case -> [per_sec]
for (const line of text.split("\n")) {
	const s = line.trim();
	if (!s.startsWith("{")) continue;
	let r;
	try {
		r = JSON.parse(s);
	} catch (_) {
		continue;
	}
	if (!r.impl || !r.case || typeof r.per_sec !== "number") continue;
	((runs[r.impl] = runs[r.impl] || {})[r.case] = runs[r.impl][r.case] || []).push(r.per_sec);
}

const median = xs => {
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = n => Math.round(n).toLocaleString("en-US");
const cell = xs => (xs && xs.length
	? `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`
	: "–");

if (NATS) {
	natsTable();
	process.exit(0);
}

const node = runs.node || {};
const rust = runs.rust || {};
const n = Math.max(0, ...Object.values(node).map(x => x.length), ...Object.values(rust).map(x => x.length));

console.log(`| case | Node ops/s, median (min–max) | Rust ops/s, median (min–max) | Rust ns/op | Rust / Node |`);
console.log(`|---|---:|---:|---:|---:|`);
for (const [rc, nc, label] of ROWS) {
	const r = rust[rc];
	const nd = node[nc];
	if (!r && !nd) continue;
	const ratio = r && nd ? `${(median(r) / median(nd)).toFixed(2)}x` : "–";
	const ns = r ? (1e9 / median(r)).toFixed(0) : "–";
	console.log(`| ${label} | ${cell(nd)} | ${cell(r)} | ${ns} | ${ratio} |`);
}
console.log(`\n${n} run(s) per case.`);

// `bench_call_floor`: the least each piece of a call costs, without Moleculer, against
// Node's validated call of the same run.
const floor = runs.floor || {};
if (Object.keys(floor).length) {
	const base = node.validated_c1;
	console.log(`\n| floor case (no Moleculer) | ops/s, median (min–max) | ns/op | / Node validated_c1 |`);
	console.log(`|---|---:|---:|---:|`);
	for (const [c, xs] of Object.entries(floor)) {
		const ratio = base ? `${(median(xs) / median(base)).toFixed(2)}x` : "–";
		console.log(`| \`${c}\` | ${cell(xs)} | ${(1e9 / median(xs)).toFixed(1)} | ${ratio} |`);
	}
}

/* `--nats`: remote request/response over NATS, rows by concurrency and side. */
function natsTable() {
	// [impl, variant] -> label, in display order; other sides follow with a generated label.
	const SIDES = [
		["node", "", "Node Moleculer 0.15.2, client → server process"],
		["rust", "", "moleculer-rs, client → server process"],
		["bare-nats", "", "bare async-nats, `client.request` (NATS request/reply), responder in a second process"],
		["bare-nats", "pubsub", "bare async-nats, publish + own reply subject, id correlation, responder in a second process"],
		["bare-nats", "inproc", "bare async-nats, `client.request`, both ends in one process"],
		["bare-nats", "inproc_pubsub", "bare async-nats, publish + id correlation, both ends in one process"],
		["bare-tcp", "", "bare tokio TCP, two connections, batched writes, id correlation, responder in a second process"],
		["bare-tcp", "inproc", "bare tokio TCP, the same with both ends in one process"],
		["bare-mqtt", "", "bare rumqttc (MQTT 3.1.1, QoS 0), publish + subscribed response topic, id correlation, responder in a second process"],
		["bare-redis", "", "bare redis crate, publish + subscribed response channel, id correlation, responder in a second process"],
		["bare-amqp", "", "bare lapin, request queue (prefetch 1, acked once answered) + response queue, id correlation, responder in a second process"],
		["rust-to-node", "", "moleculer-rs client → Node server (CROSS=1)"],
		["node-to-rust", "", "Node client → moleculer-rs server (CROSS=1)"]
	];
	const rows = []; // {conc, order, label, xs}
	for (const [impl, cases] of Object.entries(runs)) {
		for (const [name, xs] of Object.entries(cases)) {
			const m = /^(?:(.+)_)?c([0-9]+)$/.exec(name);
			if (!m) continue;
			const variant = m[1] || "";
			const conc = Number(m[2]);
			let order = SIDES.findIndex(([i, v]) => i === impl && v === variant);
			let label = order >= 0 ? SIDES[order][2] : `${impl}${variant ? ` ${variant}` : ""}`;
			if (order < 0) order = SIDES.length;
			rows.push({ conc, order, label, impl, variant, xs });
		}
	}
	rows.sort((a, b) => a.conc - b.conc || a.order - b.order || a.label.localeCompare(b.label));
	const find = (conc, impl, variant) => rows.find(r => r.conc === conc && r.impl === impl && r.variant === variant);
	const ratio = (r, base) => (base && base !== r ? `${(median(r.xs) / median(base.xs)).toFixed(2)}x` : "–");

	console.log(`| c | side | req/s, median (min–max) | mean latency µs | / Node | / bare |`);
	console.log(`|---:|---|---:|---:|---:|---:|`);
	for (const r of rows) {
		const lat = ((r.conc / median(r.xs)) * 1e6).toFixed(0);
		const node = find(r.conc, "node", "");
		const bare = find(r.conc, "bare-nats", "pubsub") || find(r.conc, "bare-tcp", "") || find(r.conc, "bare-redis", "") || find(r.conc, "bare-mqtt", "") || find(r.conc, "bare-amqp", "");
		console.log(`| ${r.conc} | ${r.label} | ${cell(r.xs)} | ${lat} | ${ratio(r, node)} | ${ratio(r, bare)} |`);
	}
	const n = Math.max(0, ...rows.map(r => r.xs.length));
	console.log(`\n${n} run(s) per case; mean latency = c / median throughput.`);
}
