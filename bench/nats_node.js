#!/usr/bin/env node
/*
 * Node Moleculer baseline for remote request/response over NATS: two brokers in two processes.
 *
 *   node bench/nats_node.js server   # broker `bench-server-node`, service `bench`, action `echo`
 *                                    # returning `ctx.params`; prints one `ready` JSON line, then
 *                                    # serves until SIGINT/SIGTERM
 *   node bench/nats_node.js client   # broker `bench-client-node`; waits for `bench.echo`, then
 *                                    # runs the cases below and exits
 *
 * Both brokers: transporter NATS_URL (default nats://127.0.0.1:4222), namespace BENCH_NAMESPACE
 * (default `bench`, so the benchmark does not mix with the tests), the BENCH_SERIALIZER serializer
 * (default JSON), logger at
 * `warn`, no metrics, no tracing.
 *
 * Cases (client; each: warm-up, then a fixed-duration measured run):
 *   c1, c10, c100   N concurrent loops, each `await broker.call("bench.echo", PARAMS)`
 *                   (any `c<N>` is accepted)
 * with PARAMS = {"a":1,"b":"hello","c":[1,2,3]}.
 *
 * Prints (stdout) one JSON line per case, the format of local.js, read by table.js:
 *   {"impl":"node","case":"c10","ops":N,"secs":S,"per_sec":R}
 * and, for the server, `{"ready":true,"impl":"node","node":"bench-server-node"}` once started.
 *
 * Configuration (environment or --key=value arguments):
 *   BENCH_SECS      / --secs=5        measured seconds per case
 *   BENCH_WARMUP    / --warmup=1      warm-up seconds per case
 *   BENCH_CASES     / --cases=a,b     comma-separated subset (default c1,c10,c100)
 *   BENCH_NAMESPACE / --namespace=n   Moleculer namespace (default bench)
 *   NATS_URL        / --nats=url      NATS server (default nats://127.0.0.1:4222)
 *   BENCH_IMPL      / --impl=name     the `impl` field of the output lines (default node)
 *   BENCH_TRANSPORTER / --transporter=t  another transporter (default NATS_URL)
 */
"use strict";

const { ServiceBroker } = require("moleculer");

function arg(name, envName, def) {
	const flag = process.argv.find(a => a.startsWith(`--${name}=`));
	if (flag) return flag.slice(name.length + 3);
	if (process.env[envName] !== undefined && process.env[envName] !== "") return process.env[envName];
	return def;
}

const ROLE = process.argv.slice(2).find(a => !a.startsWith("--"));
const SECS = Number(arg("secs", "BENCH_SECS", "5"));
const WARMUP = Number(arg("warmup", "BENCH_WARMUP", "1"));
const NAMESPACE = arg("namespace", "BENCH_NAMESPACE", "bench");
const NATS_URL = arg("nats", "NATS_URL", "nats://127.0.0.1:4222");
const IMPL = arg("impl", "BENCH_IMPL", "node");
// Another transporter (e.g. "tcp://127.0.0.1:6101/a,127.0.0.1:6102/b" for bench/tcp.sh), or
// a JSON `{type, options}` object.
const TRANSPORTER_ARG = arg("transporter", "BENCH_TRANSPORTER", NATS_URL);
const TRANSPORTER = TRANSPORTER_ARG.startsWith("{") ? JSON.parse(TRANSPORTER_ARG) : TRANSPORTER_ARG;
const SERIALIZER = arg("serializer", "BENCH_SERIALIZER", "JSON");
const CASES = arg("cases", "BENCH_CASES", "c1,c10,c100")
	.split(",")
	.map(s => s.trim())
	.filter(Boolean);

const PARAMS = { a: 1, b: "hello", c: [1, 2, 3] };

if (ROLE !== "server" && ROLE !== "client") {
	console.error("usage: node bench/nats_node.js server|client [--secs=5 --warmup=1 --cases=c1,c10,c100]");
	process.exit(2);
}
for (const c of CASES) {
	if (!/^c[1-9][0-9]*$/.test(c)) {
		console.error(`unknown case '${c}'; expected c<concurrency>, e.g. c1, c10, c100`);
		process.exit(2);
	}
}

const newBroker = nodeID =>
	new ServiceBroker({
		namespace: NAMESPACE,
		nodeID,
		transporter: TRANSPORTER,
		serializer: SERIALIZER,
		logger: { type: "Console", options: { level: "warn" } },
		metrics: false,
		tracing: false
	});

async function server() {
	const broker = newBroker("bench-server-node");
	broker.createService({
		name: "bench",
		actions: {
			echo(ctx) {
				return ctx.params;
			},
			// The same, under the name a moleculer-rs client uses with BENCH_PARAMS=json.
			echoJson(ctx) {
				return ctx.params;
			}
		}
	});
	await broker.start();
	console.log(JSON.stringify({ ready: true, impl: IMPL, node: broker.nodeID, namespace: NAMESPACE }));
	// Moleculer stops the broker and exits on SIGINT / SIGTERM.
}

const now = () => process.hrtime.bigint();

/** Runs `conc` loops of `fn` concurrently for `secs` seconds; returns {ops, secs}. */
async function concurrent(fn, conc, secs) {
	const start = now();
	const end = start + BigInt(Math.round(secs * 1e9));
	let ops = 0;
	// A remote call takes tens of microseconds: looking at the clock after each one is free.
	const loop = async () => {
		do {
			await fn();
			ops++;
		} while (now() < end);
	};
	const loops = [];
	for (let i = 0; i < conc; i++) loops.push(loop());
	await Promise.all(loops);
	return { ops, secs: Number(now() - start) / 1e9 };
}

async function client() {
	const broker = newBroker("bench-client-node");
	await broker.start();
	await broker.waitForServices("bench", 30000);
	// Sanity check: the echo comes back from the remote node, unchanged.
	const res = await broker.call("bench.echo", PARAMS);
	if (JSON.stringify(res) !== JSON.stringify(PARAMS)) throw new Error(`bench.echo returned ${JSON.stringify(res)}`);
	const endpoint = broker.registry.getActionEndpoints("bench.echo");
	if (!endpoint || endpoint.endpoints.length !== 1 || endpoint.endpoints[0].local)
		throw new Error(`bench.echo must be served by one remote node only (namespace '${NAMESPACE}')`);

	const call = () => broker.call("bench.echo", PARAMS);
	for (const name of CASES) {
		const conc = Number(name.slice(1));
		if (WARMUP > 0) await concurrent(call, conc, WARMUP);
		const { ops, secs } = await concurrent(call, conc, SECS);
		const line = { impl: IMPL, case: name, ops, secs: Number(secs.toFixed(3)), per_sec: Math.round(ops / secs) };
		console.log(JSON.stringify(line));
	}
	await broker.stop();
}

(ROLE === "server" ? server() : client()).catch(err => {
	console.error(err);
	process.exit(1);
});
