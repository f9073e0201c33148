#!/usr/bin/env node
/*
 * Node Moleculer baseline: local `broker.call` and `broker.emit` throughput.
 *
 * One ServiceBroker, no transporter, logger off, default validator (fastest-validator).
 * A `math` service with:
 *   - `math.add`   params {a: "number", b: "number"} (validated), returns a + b
 *   - `math.plain` no params schema, returns a constant; called without params
 *   - an event handler for `bench.event` that counts what it receives
 *
 * Cases (each: warm-up, then a fixed-duration measured run):
 *   plain_c1        sequential `await broker.call("math.plain")`
 *   validated_c1    sequential `await broker.call("math.add", {a, b})`
 *   validated_c100  100 concurrent loops, each `await broker.call("math.add", {a, b})`
 *   emit_c1         sequential `await broker.emit("bench.event", {a, b})`, one local handler
 *   mw5_c1          validated_c1 on a broker with 5 user middlewares wrapping localAction
 *                   (each passes the call on)
 *   fault_c1        validated_c1 with bulkhead, circuit breaker, retry policy and context
 *                   tracking all enabled (none of them trips)
 *   metrics_c1      `validated_c1` with metrics enabled (process metrics off)
 *   tracing_c1      `validated_c1` with tracing enabled: every call sampled, its span sent by the
 *                   Event exporter at once (`interval: 0`)
 *   debug_off_c1    `validated_c1` on `math.logged`, whose handler logs at `debug`, with the
 *                   console logger at `warn`: the cost of a log below the level
 *   cache_hit_c1    sequential `await broker.call("math.cached", {a: 1, b: 2})` with the Memory
 *                   cacher: every call after the first is a hit (`cache: {keys: ["a", "b"]}`)
 *   lru_hit_c1      the same with the MemoryLRU cacher
 *   lru_miss_c1     `math.cached` with `a` changing on every call (65,536 values) and MemoryLRU
 *                   (max 1000): every call misses, runs the handler and caches its result
 *   redis_hit_c1    `cache_hit_c1` with the Redis cacher (REDIS_URL, default
 *                   redis://127.0.0.1:6379; ttl 60)
 *   redis_miss_c1   `math.cached` with the Redis cacher and `a` new on every call
 *
 * Prints one JSON line per case:
 *   {"impl":"node","case":"...","ops":N,"secs":S,"per_sec":R}
 *
 * Configuration (environment or --key=value arguments):
 *   BENCH_SECS   / --secs=5      measured seconds per case
 *   BENCH_WARMUP / --warmup=1    warm-up seconds per case
 *   BENCH_CASES  / --cases=a,b   comma-separated subset of the cases above
 */
"use strict";

const { ServiceBroker } = require("moleculer");

function arg(name, envName, def) {
	const flag = process.argv.find(a => a.startsWith(`--${name}=`));
	if (flag) return flag.slice(name.length + 3);
	if (process.env[envName] !== undefined && process.env[envName] !== "") return process.env[envName];
	return def;
}

const SECS = Number(arg("secs", "BENCH_SECS", "5"));
const WARMUP = Number(arg("warmup", "BENCH_WARMUP", "1"));
const ALL_CASES = [
	"plain_c1",
	"validated_c1",
	"validated_c100",
	"emit_c1",
	"mw5_c1",
	"fault_c1",
	"metrics_c1",
	"tracing_c1",
	"debug_off_c1",
	"cache_hit_c1",
	"lru_hit_c1",
	"lru_miss_c1",
	"redis_hit_c1",
	"redis_miss_c1"
];
const CASES = arg("cases", "BENCH_CASES", ALL_CASES.join(","))
	.split(",")
	.map(s => s.trim())
	.filter(Boolean);

for (const c of CASES) {
	if (!ALL_CASES.includes(c)) {
		console.error(`unknown case '${c}'; known: ${ALL_CASES.join(", ")}`);
		process.exit(2);
	}
}

// Reading the clock costs ~50 ns; look at it once per block of calls.
const BLOCK = 256;

let received = 0;

const baseOptions = {
	nodeID: "bench-node",
	logger: false,
	transporter: null,
	metrics: false,
	tracing: false
	// validator: default (true) = fastest-validator, as in a default Moleculer setup
};

const passOn = () => ({ localAction: next => ctx => next(ctx) });

/** The broker of each case: the plain one, or one with middlewares or fault tolerance on. */
function brokerFor(name) {
	if (name === "mw5_c1") {
		return new ServiceBroker({ ...baseOptions, middlewares: [passOn(), passOn(), passOn(), passOn(), passOn()] });
	}
	if (name === "metrics_c1") {
		// Process metrics off on both sides: both measure the request metrics.
		return new ServiceBroker({
			...baseOptions,
			metrics: { enabled: true, collectProcessMetrics: false }
		});
	}
	if (name === "debug_off_c1") {
		return new ServiceBroker({
			...baseOptions,
			logger: { type: "Console", options: { level: "warn" } }
		});
	}
	if (name === "tracing_c1") {
		return new ServiceBroker({
			...baseOptions,
			tracing: { enabled: true, exporter: { type: "Event", options: { interval: 0 } } }
		});
	}
	if (name === "fault_c1") {
		return new ServiceBroker({
			...baseOptions,
			bulkhead: { enabled: true, concurrency: 10, maxQueueSize: 100 },
			circuitBreaker: { enabled: true },
			retryPolicy: { enabled: true },
			tracking: { enabled: true }
		});
	}
	if (name === "cache_hit_c1") return new ServiceBroker({ ...baseOptions, cacher: "Memory" });
	if (name === "lru_hit_c1" || name === "lru_miss_c1") {
		return new ServiceBroker({ ...baseOptions, cacher: { type: "MemoryLRU", options: { max: 1000 } } });
	}
	if (name === "redis_hit_c1" || name === "redis_miss_c1") {
		const redis = process.env.REDIS_URL || "redis://127.0.0.1:6379";
		return new ServiceBroker({
			...baseOptions,
			cacher: { type: "Redis", options: { redis, ttl: 60, prefix: "bench-js" } }
		});
	}
	return new ServiceBroker(baseOptions);
}

const mathService = {
	name: "math",
	actions: {
		add: {
			params: { a: "number", b: "number" },
			handler(ctx) {
				return ctx.params.a + ctx.params.b;
			}
		},
		logged: {
			params: { a: "number", b: "number" },
			handler(ctx) {
				this.logger.debug("adding", ctx.params.a, ctx.params.b);
				return ctx.params.a + ctx.params.b;
			}
		},
		plain: {
			handler() {
				return 3;
			}
		},
		cached: {
			params: { a: "number", b: "number" },
			cache: { keys: ["a", "b"] },
			handler(ctx) {
				return ctx.params.a + ctx.params.b;
			}
		}
	},
	events: {
		"bench.event"(ctx) {
			received += ctx.params.a;
		}
	}
};

let broker;

const now = () => process.hrtime.bigint();

/** Runs `fn` sequentially for `secs` seconds; returns {ops, secs}. */
async function sequential(fn, secs) {
	const start = now();
	const end = start + BigInt(Math.round(secs * 1e9));
	let ops = 0;
	for (;;) {
		for (let i = 0; i < BLOCK; i++) await fn(i);
		ops += BLOCK;
		if (now() >= end) break;
	}
	return { ops, secs: Number(now() - start) / 1e9 };
}

/** Runs `conc` loops of `fn` concurrently for `secs` seconds; returns {ops, secs}. */
async function concurrent(fn, conc, secs) {
	const start = now();
	const end = start + BigInt(Math.round(secs * 1e9));
	let ops = 0;
	const loop = async () => {
		for (;;) {
			for (let i = 0; i < BLOCK; i++) await fn(i);
			ops += BLOCK;
			if (now() >= end) break;
		}
	};
	const loops = [];
	for (let i = 0; i < conc; i++) loops.push(loop());
	await Promise.all(loops);
	return { ops, secs: Number(now() - start) / 1e9 };
}

const bodies = {
	plain_c1: secs => sequential(() => broker.call("math.plain"), secs),
	validated_c1: secs => sequential(i => broker.call("math.add", { a: i, b: 2 }), secs),
	validated_c100: secs => concurrent(i => broker.call("math.add", { a: i, b: 2 }), 100, secs),
	emit_c1: secs => sequential(i => broker.emit("bench.event", { a: i, b: 2 }), secs),
	mw5_c1: secs => sequential(i => broker.call("math.add", { a: i, b: 2 }), secs),
	fault_c1: secs => sequential(i => broker.call("math.add", { a: i, b: 2 }), secs),
	metrics_c1: secs => sequential(i => broker.call("math.add", { a: i, b: 2 }), secs),
	tracing_c1: secs => sequential(i => broker.call("math.add", { a: i, b: 2 }), secs),
	debug_off_c1: secs => sequential(i => broker.call("math.logged", { a: i, b: 2 }), secs),
	cache_hit_c1: secs => sequential(() => broker.call("math.cached", { a: 1, b: 2 }), secs),
	lru_hit_c1: secs => sequential(() => broker.call("math.cached", { a: 1, b: 2 }), secs),
	lru_miss_c1: secs => {
		let n = 0;
		return sequential(() => broker.call("math.cached", { a: n++ & 0xffff, b: 2 }), secs);
	},
	redis_hit_c1: secs => sequential(() => broker.call("math.cached", { a: 1, b: 2 }), secs),
	redis_miss_c1: secs => {
		// A value of `a` no earlier run has cached.
		let n = (Date.now() % 90000) * 10000;
		return sequential(() => broker.call("math.cached", { a: n++, b: 2 }), secs);
	}
};

/** A started broker for the case, after checking that calls work and validation is on. */
async function start(name) {
	broker = brokerFor(name);
	broker.createService(mathService);
	await broker.start();
	// A Redis cacher connects in the background (calls run uncached meanwhile); a loop of
	// calls that never wait for I/O would keep it from ever connecting.
	if (broker.cacher && broker.cacher.connected === false) {
		const deadline = Date.now() + 5000;
		while (broker.cacher.connected !== true) {
			if (Date.now() > deadline) throw new Error("the Redis cacher did not connect");
			await new Promise(resolve => setTimeout(resolve, 10));
		}
	}
	// Sanity checks: the calls work and validation is on.
	const sum = await broker.call("math.add", { a: 1, b: 2 });
	if (sum !== 3) throw new Error(`math.add returned ${sum}`);
	let rejected = false;
	try {
		await broker.call("math.add", { a: "x", b: 2 });
	} catch (err) {
		rejected = err.name === "ValidationError";
	}
	if (!rejected) throw new Error("math.add did not validate its params");
}

async function main() {
	for (const name of CASES) {
		await start(name);
		if (WARMUP > 0) await bodies[name](WARMUP);
		const before = received;
		const { ops, secs } = await bodies[name](SECS);
		if (name.startsWith("emit") && received === before) throw new Error("the event handler never ran");
		const line = { impl: "node", case: name, ops, secs: Number(secs.toFixed(3)), per_sec: Math.round(ops / secs) };
		console.log(JSON.stringify(line));
		await broker.stop();
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
