"use strict";
/*
 * Golden bytes for the Rust serializer tests: every packet captured from Node (the
 * MsgPack fixtures' decoded payloads, Buffers restored) encoded by Moleculer 0.15's own
 * serializer class. Usage: node encode.js <serializer name> <fixtures folder>
 * Writes one JSON line per packet: {"name", "subject", "raw_base64"}.
 */
const fs = require("fs");
const path = require("path");
const { Serializers } = require("moleculer-15");

const [name, dir] = process.argv.slice(2);
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

for (const file of fs.readdirSync(dir).filter(f => f.endsWith(".json")).sort()) {
	const fixture = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
	const packets = Array.isArray(fixture.packets) ? fixture.packets : [fixture];
	packets.forEach((p, i) => {
		const raw = serializer.serialize(revive(p.payload), p.cmd);
		process.stdout.write(
			JSON.stringify({ name: `${file}#${i}`, subject: p.subject, raw_base64: Buffer.from(raw).toString("base64") }) + "\n"
		);
	});
}
