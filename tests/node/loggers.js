// Logs with Node's loggers the records `tests/src/bin/loggers_node.rs` logs, for the
// loggers tests: `node loggers.js '<logger option as JSON>'`, broker `node-1` in `ns1`.
const { ServiceBroker } = require("moleculer-15");

const logger = JSON.parse(process.argv[2]);
const options = logger.options || {};
// The Rust records give `jsonext` their fields first, as `logger.info(fields, message)`.
const ext = options.formatter == "jsonext";

const broker = new ServiceBroker({ nodeID: "node-1", namespace: "ns1", logLevel: "trace", logger });
broker.start().then(async () => {
	const greeter = broker.getLogger("greeter");
	const math = broker.getLogger("v2.math", { svc: "math", ver: 2 });
	const args = (message, fields) => (ext ? [fields, message] : [message, fields]);
	greeter.info(...args("Hello", { user: 5, name: "x'y" }));
	greeter.warn("careful");
	greeter.fatal("deadly");
	greeter.error("oops");
	math.debug(...args("login", { user: 5 }));
	math.trace("finished");
	greeter.info({ level: "x", n: 1.5 });
	await broker.stop();
});
