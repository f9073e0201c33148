#!/usr/bin/env node
/*
 * Node baseline: Moleculer 0.15's serializers (JSON, JSONExt, MsgPack = msgpack5, Notepack =
 * notepack.io, CBOR = cbor-x) and 0.14's schema serializers (ProtoBuf = protobufjs, Avro =
 * avsc, Thrift = thrift; protocol 4 packets) encoding and decoding a REQ and a RES packet,
 * each with a small payload and with a 10 kB one: the packets bench_serializers.rs builds.
 *
 * Prints one JSON line per serializer and case:
 *   {"impl":"node","serializer":"MsgPack","case":"req_small","bytes":N,"encode_per_sec":E,"decode_per_sec":D,"roundtrip_per_sec":R}
 *
 * Environment: BENCH_SECS (measured seconds per measure, default 1).
 */
"use strict";

const Serializers15 = require("moleculer").Serializers;
const Serializers14 = require("moleculer-14").Serializers;

const secs = Number(process.env.BENCH_SECS || 1);

function packets(v4) {
	const small = { a: 1, b: 2.5, name: "bench", tags: ["x", "y"], nested: { ok: true } };
	const large = {
		items: Array.from({ length: 170 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 1.25, tags: ["a", "b"] }))
	};
	const headers = v4 ? {} : { headers: {} };
	const ver = v4 ? "4" : "5";
	const req = params => ({
		id: "6c783b13-66cf-406d-bce4-3f40c7624d49",
		action: "math.add",
		params,
		meta: {},
		...headers,
		timeout: 0,
		level: 1,
		tracing: null,
		parentID: null,
		requestID: "6c783b13-66cf-406d-bce4-3f40c7624d49",
		caller: null,
		stream: false,
		ver,
		sender: "node-b"
	});
	const res = data => ({
		id: "6c783b13-66cf-406d-bce4-3f40c7624d49",
		meta: {},
		...headers,
		success: true,
		data,
		ver,
		sender: "node-a"
	});
	return [
		["req_small", "REQ", req(small)],
		["res_small", "RES", res(small)],
		["req_10k", "REQ", req(large)],
		["res_10k", "RES", res(large)]
	];
}

function rate(fn) {
	for (let i = 0; i < 1000; i++) fn();
	let ops = 0;
	const end = process.hrtime.bigint() + BigInt(Math.round(secs * 1e9));
	const start = process.hrtime.bigint();
	let now = start;
	while (now < end) {
		for (let i = 0; i < 100; i++) fn();
		ops += 100;
		now = process.hrtime.bigint();
	}
	return Math.round(ops / (Number(now - start) / 1e9));
}

const SCHEMA = ["ProtoBuf", "Avro", "Thrift"];
for (const name of ["JSON", "JSONExt", "MsgPack", "Notepack", "CBOR", ...SCHEMA]) {
	const v4 = SCHEMA.includes(name);
	const serializer = (v4 ? Serializers14 : Serializers15).resolve(name);
	serializer.init({ fatal: (msg, err) => { throw err || new Error(msg); } });
	for (const [label, type, packet] of packets(v4)) {
		// The schema serializers replace fields of the packet they write (meta and params become
		// strings and bytes), so each write gets the fresh packet transit would build.
		const fresh = v4 ? () => ({ ...packet }) : () => packet;
		const bytes = serializer.serialize(fresh(), type);
		const encode = rate(() => serializer.serialize(fresh(), type));
		const decode = rate(() => serializer.deserialize(bytes, type));
		const roundtrip = rate(() => serializer.deserialize(serializer.serialize(fresh(), type), type));
		console.log(JSON.stringify({ impl: "node", serializer: name, case: label, bytes: bytes.length, encode_per_sec: encode, decode_per_sec: decode, roundtrip_per_sec: roundtrip }));
	}
}
