"use strict";
/*
 * Golden bytes for the Rust serializer tests: every packet captured from Node (a fixture's
 * `payload`, or a TCP frame's `body`; Buffers restored) encoded by Moleculer's own
 * serializer class. Usage: node encode.js <serializer name> <fixtures folder> [14|15]
 * (Moleculer 0.15 by default; the schema serializers, ProtoBuf, Avro and Thrift, are 0.14's).
 * Writes one JSON line per packet: {"name", "subject", "raw_base64"}.
 */
const fs = require("fs");
const path = require("path");

const [name, dir, version = "15"] = process.argv.slice(2);
const { Serializers } = require(`moleculer-${version}`);
const serializer = Serializers.resolve(name);
serializer.init({ fatal: (msg, err) => { throw err || new Error(msg); } });

// The fixtures keep a Buffer as {"$buffer_base64": "..."}.
const revive = v => {
	if (Array.isArray(v)) return v.map(revive);
	if (v && typeof v === "object") {
		if (typeof v.$buffer_base64 === "string") return Buffer.from(v.$buffer_base64, "base64");
		return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
	}
	return v;
};

// A stream chunk captured with the JSON serializer is a Buffer in its JSON form; with a schema
// serializer it travels as a Buffer.
const chunk = v => (v && v.type === "Buffer" && Array.isArray(v.data) ? Buffer.from(v.data) : v);

for (const file of fs.readdirSync(dir).filter(f => f.endsWith(".json")).sort()) {
	const fixture = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
	const packets = Array.isArray(fixture.packets) ? fixture.packets : [fixture];
	packets.forEach((p, i) => {
		const cmd = p.cmd || p.type;
		const payload = p.payload || p.body;
		if (!cmd || !payload) return;
		const packet = revive(payload);
		if (version === "14") {
			if ("params" in packet) packet.params = chunk(packet.params);
			if ("data" in packet) packet.data = chunk(packet.data);
		}
		const raw = serializer.serialize(packet, cmd);
		process.stdout.write(
			JSON.stringify({ name: `${file}#${i}`, subject: p.subject || `MOL.${cmd}`, raw_base64: Buffer.from(raw).toString("base64") }) + "\n"
		);
	});
}
