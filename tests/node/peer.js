"use strict";
/*
 * A real Node.js Moleculer peer for the Rust interop tests.
 *
 * Configuration (environment):
 *   MOL_VERSION  14 (moleculer 0.14, protocol v4) or 15 (moleculer 0.15, protocol v5); default 15
 *   NODE_ID      the node ID; default "node-<pid>"
 *   NAMESPACE    the namespace; default ""
 *   TRANSPORTER  default "nats://127.0.0.1:4222"
 *   SERVICES     comma list of demo services to host: math, echo, recorder, relay, shape, slow,
 *                cached, collector, spans
 *   BROKER_OPTIONS  JSON broker options merged over the defaults (retryPolicy, ...); three keys
 *                are the peer's own: `xorKey` (see below), `transmit` (Node's transmit
 *                middlewares: `{encryption: {password, algorithm, iv}, compression: {method,
 *                threshold}}`) and `defaultOrder: true`, which lays
 *                the options out in the order of ServiceBroker.defaultOptions (unknown keys
 *                last), as a config written from the defaults would, so that `$node.options`
 *                lists them in that order.
 *
 * Protocol: stdout carries one JSON object per line, nothing else (logs go to stderr).
 *   {"ready":true,"nodeID":...,"version":"0.15.2","protocol":"5"} once started.
 * stdin takes one JSON command per line, each with an "id" echoed back as "reply":
 *   {"id":1,"cmd":"call","action":"math.add","params":{...},"opts":{...}}
 *   {"id":2,"cmd":"emit"|"broadcast","event":"x","payload":{...},"opts":{"groups":[...]}}
 *   {"id":3,"cmd":"nodes"}                                      -> $node.list
 *   {"id":4,"cmd":"waitForServices","services":[...],"timeout":5000,"interval":50}
 *   {"id":5,"cmd":"stop"}                                       -> graceful stop, exit 0
 * Replies: {"reply":<id>,"ok":true,"data":...} or {"reply":<id>,"ok":false,"error":{...}}.
 * Data that refers back to itself (`$node.list` with `withServices` lists the local node's
 * live registry objects) is written as liveObjectJSON describes.
 * The process stops when stdin closes, so a crashed test leaves no orphan behind.
 */

const readline = require("readline");

const version = process.env.MOL_VERSION === "14" ? "14" : "15";
const { ServiceBroker, Errors, Middlewares } = require(`moleculer-${version}`);

// Moleculer's console logger writes info/debug through console.log: keep stdout clean.
console.log = console.info = console.debug = console.error;

// JSON for data holding Node's live objects: an instance of a class (a registry item, a
// service, the broker) inside another is written as "[<class name>]", and a reference back
// to an enclosing object as "[Circular]".
function liveObjectJSON(obj) {
	const ancestors = [];
	const isInstance = v => v.constructor !== Object && !Array.isArray(v);
	return JSON.stringify(obj, function (key, value) {
		if (typeof value !== "object" || value === null) return value;
		// `this` holds `key`: the ancestors below it are done with.
		while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
		if (ancestors.includes(value)) return "[Circular]";
		if (isInstance(value) && ancestors.some(isInstance)) return `[${value.constructor.name}]`;
		ancestors.push(value);
		return value;
	});
}

const toJSON = obj => {
	try {
		return JSON.stringify(obj);
	} catch {
		return liveObjectJSON(obj);
	}
};

const out = obj => process.stdout.write(toJSON(obj) + "\n");

const serializeError = err => ({
	name: err && err.name,
	message: err && err.message,
	code: err && err.code,
	type: err && err.type,
	data: err && err.data
});

const demoServices = {
	math: {
		name: "math",
		actions: {
			add: {
				params: { a: "number", b: "number" },
				handler(ctx) {
					return ctx.params.a + ctx.params.b;
				}
			},
			fail(ctx) {
				throw new Errors.MoleculerClientError("Failed on purpose", 422, "MATH_FAILED", {
					params: ctx.params
				});
			}
		}
	},
	echo: {
		name: "echo",
		actions: {
			echo(ctx) {
				const res = {
					params: ctx.params,
					meta: ctx.meta,
					ctx: {
						level: ctx.level,
						caller: ctx.caller,
						requestID: ctx.requestID,
						parentID: ctx.parentID,
						nodeID: ctx.nodeID
					}
				};
				if (version === "15") res.headers = ctx.headers;
				return res;
			},
			// A server error (500, retryable): counts for circuit breakers and retries.
			boom() {
				throw new Errors.MoleculerServerError("Node boom", 500, "BOOM");
			},
			slow: {
				params: { ms: "number" },
				handler(ctx) {
					return new Promise(resolve => setTimeout(() => resolve(true), ctx.params.ms));
				}
			}
		}
	},
	// A worker: `slow.work` answers after `nodeMs` (or `ms`), saying which node served it.
	slow: {
		name: "slow",
		created() {
			this.heard = [];
		},
		events: {
			"slow.done"(ctx) {
				this.heard.push(ctx.params);
			}
		},
		actions: {
			heard() {
				return this.heard;
			},
			work(ctx) {
				return new Promise(resolve =>
					setTimeout(
						() => resolve({ servedBy: this.broker.nodeID, n: ctx.params.n }),
						ctx.params.nodeMs != null ? ctx.params.nodeMs : ctx.params.ms || 0
					)
				);
			}
		}
	},
	relay: {
		name: "relay",
		actions: {
			// Calls another action as a sub-call: the hop in the middle of a nested call.
			async call(ctx) {
				ctx.meta.relayed = true;
				const result = await ctx.call(ctx.params.action, ctx.params.params || {});
				return {
					result,
					hop: {
						level: ctx.level,
						caller: ctx.caller,
						requestID: ctx.requestID,
						parentID: ctx.parentID,
						nodeID: ctx.nodeID,
						id: ctx.id
					}
				};
			}
		}
	},
	// The same service as the Rust side's `shape` in interop_node_service.rs: `$node.*`
	// answers of both nodes list it alike.
	shape: {
		name: "shape",
		version: 2,
		settings: { unit: "cm", secret: "s3", $secureSettings: ["secret"] },
		metadata: { region: "eu" },
		actions: {
			area: {
				params: { w: "number", h: "number" },
				timeout: 3000,
				handler(ctx) {
					return ctx.params.w * ctx.params.h;
				}
			},
			plain() {
				return true;
			}
		},
		events: {
			"shape.changed": {
				group: "shapes",
				handler() {}
			},
			"user.*"() {}
		}
	},
	recorder: {
		name: "recorder",
		created() {
			this.received = [];
		},
		events: {
			"**": {
				group: "recorder",
				handler(ctx) {
					// Local internal events ($services.changed, $node.connected, ...) are noise here.
					// Circuit breaker events are broadcast by other nodes: keep them.
					if (ctx.eventName.startsWith("$") && !ctx.eventName.startsWith("$circuit-breaker.")) return;
					this.received.push({
						event: ctx.eventName,
						payload: ctx.params,
						meta: ctx.meta,
						nodeID: ctx.nodeID,
						eventType: ctx.eventType,
						groups: ctx.eventGroups,
						level: ctx.level,
						caller: ctx.caller
					});
				}
			}
		},
		actions: {
			list() {
				return this.received;
			},
			clear() {
				this.received = [];
				return true;
			}
		}
	},
	// The last `$metrics.snapshot` event (the Event metrics reporter's) of each node.
	collector: {
		name: "collector",
		created() {
			this.snapshots = {};
		},
		events: {
			"$metrics.snapshot"(ctx) {
				this.snapshots[ctx.nodeID] = ctx.params;
			}
		},
		actions: {
			snapshots() {
				return this.snapshots;
			}
		}
	},
	// Every span the Event trace exporters send (`$tracing.spans`), and the EventLegacy
	// exporters' 0.13 events, from any node.
	spans: {
		name: "spans",
		created() {
			this.spans = [];
			this.legacy = [];
		},
		events: {
			"$tracing.spans"(ctx) {
				this.spans.push(...ctx.params);
			},
			"metrics.trace.span.start"(ctx) {
				this.legacy.push({ event: "start", payload: ctx.params });
			},
			"metrics.trace.span.finish"(ctx) {
				this.legacy.push({ event: "finish", payload: ctx.params });
			}
		},
		actions: {
			list() {
				return this.spans;
			},
			legacy() {
				return this.legacy;
			}
		}
	},
	// Cached actions (with the broker's `cacher` option), answering `by: "node"` so a caller
	// sees which node's handler made a cached value; `runs` counts the handler's runs. Its
	// `cache.clean.cached` handler is moleculer-db's convention.
	cached: {
		name: "cached",
		created() {
			this.runs = 0;
		},
		actions: {
			get: {
				cache: { keys: ["id", "#tenant"] },
				handler(ctx) {
					this.runs++;
					return { id: ctx.params.id, by: "node", run: this.runs };
				}
			},
			find: {
				cache: { ttl: 60 },
				handler(ctx) {
					this.runs++;
					return { query: ctx.params, by: "node", run: this.runs };
				}
			},
			runs() {
				return this.runs;
			}
		},
		events: {
			"cache.clean.cached"() {
				return this.broker.cacher.clean("cached.**");
			}
		}
	}
};

const { xorKey, defaultOrder, transmit, ...brokerOptions } = JSON.parse(
	process.env.BROKER_OPTIONS || "{}"
);

// `xorKey` in the options: every byte on the wire XORed with it, both ways (a stand-in for
// encryption, in the transporter hooks where Node's own Transmit middlewares sit).
const xor = data => Buffer.from(data.map(b => b ^ xorKey));
const xorMiddleware = {
	name: "Xor",
	transporterSend: next => (topic, data, meta) => next(topic, xor(data), meta),
	transporterReceive: next => (cmd, data, socket) => next(cmd, xor(data), socket)
};

const isPlainObject = v => v !== null && typeof v === "object" && v.constructor === Object;

// `opts` in the key order of `defaults`, each missing key set to its default, sections laid
// out the same way; the keys `defaults` lacks come last.
function inDefaultOrder(opts, defaults) {
	const res = {};
	for (const key of Object.keys(defaults)) {
		const value = opts[key];
		const fallback = defaults[key];
		if (value === undefined)
			res[key] = isPlainObject(fallback) ? inDefaultOrder({}, fallback) : fallback;
		else if (isPlainObject(value) && isPlainObject(fallback) && Object.keys(fallback).length > 0)
			res[key] = inDefaultOrder(value, fallback);
		else res[key] = value;
	}
	for (const key of Object.keys(opts)) if (!(key in res)) res[key] = opts[key];
	return res;
}

const options = {
	nodeID: process.env.NODE_ID || `node-${process.pid}`,
	namespace: process.env.NAMESPACE || "",
	transporter: process.env.TRANSPORTER || "nats://127.0.0.1:4222",
	logger: { type: "Console", options: { level: "warn", colors: false } },
	...brokerOptions
};
const middlewares = [];
if (xorKey !== undefined) middlewares.push(xorMiddleware);
// `transmit` in the options: Node's own transmit middlewares, in this order:
// {encryption: {password, algorithm, iv}, compression: {method, threshold}}.
if (transmit && transmit.encryption) {
	const { password, algorithm, iv } = transmit.encryption;
	middlewares.push(Middlewares.Transmit.Encryption(password, algorithm, iv));
}
if (transmit && transmit.compression) {
	middlewares.push(Middlewares.Transmit.Compression(transmit.compression));
}
if (middlewares.length > 0) options.middlewares = middlewares;

const broker = new ServiceBroker(
	defaultOrder ? inDefaultOrder(options, ServiceBroker.defaultOptions) : options
);

for (const name of (process.env.SERVICES || "").split(",").map(s => s.trim()).filter(Boolean)) {
	if (!demoServices[name]) {
		out({ fatal: `unknown demo service '${name}'` });
		process.exit(2);
	}
	broker.createService(demoServices[name]);
}

let stopping = false;
function stop(code) {
	if (stopping) return;
	stopping = true;
	// Never hang: force the exit if the graceful stop stalls.
	setTimeout(() => process.exit(code), 5000).unref();
	broker.stop().then(
		() => process.exit(code),
		() => process.exit(1)
	);
}

const commands = {
	call: c => broker.call(c.action, c.params, c.opts || {}),
	emit: c => broker.emit(c.event, c.payload, c.opts || {}),
	broadcast: c => broker.broadcast(c.event, c.payload, c.opts || {}),
	nodes: c => broker.call("$node.list", c.params || {}),
	waitForServices: c => broker.waitForServices(c.services, c.timeout || 10000, c.interval || 50)
};

async function handle(line) {
	if (!line.trim()) return;
	let cmd;
	try {
		cmd = JSON.parse(line);
	} catch (err) {
		return out({ reply: null, ok: false, error: serializeError(err) });
	}
	if (cmd.cmd === "stop") {
		out({ reply: cmd.id, ok: true, data: null });
		return stop(0);
	}
	const run = commands[cmd.cmd];
	if (!run) {
		return out({ reply: cmd.id, ok: false, error: { name: "Error", message: `unknown cmd '${cmd.cmd}'` } });
	}
	try {
		const data = await run(cmd);
		out({ reply: cmd.id, ok: true, data: data === undefined ? null : data });
	} catch (err) {
		out({ reply: cmd.id, ok: false, error: serializeError(err) });
	}
}

// Listen to stdin at once, so closing it stops the peer even while it is still starting.
const started = broker.start();
const rl = readline.createInterface({ input: process.stdin });
rl.on("line", line => started.then(() => handle(line)));
rl.on("close", () => stop(0));

started.then(
	() =>
		out({
			ready: true,
			nodeID: broker.nodeID,
			namespace: broker.namespace,
			version: ServiceBroker.MOLECULER_VERSION,
			protocol: ServiceBroker.PROTOCOL_VERSION
		}),
	err => {
		out({ fatal: err.message });
		process.exit(1);
	}
);
