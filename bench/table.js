#!/usr/bin/env node
/*
 * Reads the JSON lines printed by `local.js` and `bench_local` (stdin or files given as
 * arguments) and prints a markdown table: median and min–max per case and implementation,
 * and the ratio of the Rust median to the median of the comparable Node case.
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
	["emit_c1", "emit_c1", "`emit` to 1 local handler, c=1"]
];

const text = process.argv.length > 2
	? process.argv.slice(2).map(f => fs.readFileSync(f, "utf8")).join("\n")
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
