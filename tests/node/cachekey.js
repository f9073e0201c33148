"use strict";
/*
 * Node's cache keys, for the Rust keygen's comparison test: each stdin line is a JSON case
 * {action, params, meta, headers, keys, maxParamsLength}; each stdout line is
 * {"v14": <key of moleculer 0.14.35>, "v15": <key of moleculer 0.15.2>}, from their own
 * cachers' `getCacheKey`. A missing `params` (or `meta`, `headers`) is `undefined`. Keys are
 * written as their UTF-8 bytes read back (a lone surrogate, which cutting a long key at
 * `maxParamsLength` can leave, becomes U+FFFD, as it does on its way to Redis).
 */
const readline = require("readline");
const M14 = require("moleculer-14");
const M15 = require("moleculer-15");

const cachers = new Map();
const cacher = (M, max) => {
	const id = `${M === M14 ? 14 : 15}:${max}`;
	if (!cachers.has(id)) cachers.set(id, new M.Cachers.Memory({ maxParamsLength: max }));
	return cachers.get(id);
};

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", line => {
	if (!line.trim()) return;
	const c = JSON.parse(line);
	const max = c.maxParamsLength == null ? null : c.maxParamsLength;
	const keys = c.keys == null ? undefined : c.keys;
	const v14 = cacher(M14, max).getCacheKey(c.action, c.params, c.meta, keys);
	const v15 = cacher(M15, max).getCacheKey(
		{ name: c.action },
		{ keys },
		{ params: c.params, meta: c.meta, headers: c.headers }
	);
	const utf8 = key => Buffer.from(String(key), "utf8").toString("utf8");
	process.stdout.write(JSON.stringify({ v14: utf8(v14), v15: utf8(v15) }) + "\n");
});
