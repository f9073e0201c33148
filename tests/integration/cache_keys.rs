//! Cache keys made here are Node's, bit for bit: random params, meta, headers and `keys`
//! (nested objects and arrays, strings with `|`, quotes and characters beyond the BMP,
//! numbers of every shape, missing paths, meta and header keys, `maxParamsLength` cutting
//! keys anywhere) go through the keygen of Moleculer 0.14.35 and 0.15.2 (`tests/node/
//! cachekey.js`, their own cachers' `getCacheKey`) and through [`KeyGen`] in both dialects.

use std::process::Stdio;

use moleculer::cacher::{KeyGen, KeySource};
use moleculer::options::ProtocolVersion;
use moleculer_tests::node::{ensure_node_modules, node_dir, node_tcp_available};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A random JSON value at most `depth` levels deep.
fn value(rng: &mut fastrand::Rng, depth: u32) -> Value {
    let pick = if depth == 0 {
        rng.u32(0..6)
    } else {
        rng.u32(0..8)
    };
    match pick {
        0 => Value::Null,
        1 => json!(rng.bool()),
        2 => json!(rng.i64(-1000..1000)),
        3 => json!([0.5, -1.25, 1e21, 1.5e-7, 123456.789, 2f64.powi(53)][rng.usize(0..6)]),
        4 | 5 => json!(text(rng)),
        6 => Value::Array(
            (0..rng.usize(0..4))
                .map(|_| value(rng, depth - 1))
                .collect(),
        ),
        _ => Value::Object(object(rng, depth - 1)),
    }
}

fn object(rng: &mut fastrand::Rng, depth: u32) -> Map<String, Value> {
    (0..rng.usize(0..5))
        .map(|_| (name(rng), value(rng, depth)))
        .collect()
}

fn name(rng: &mut fastrand::Rng) -> String {
    ["id", "a", "b", "name", "tags", "x.y", "n"][rng.usize(0..7)].to_owned()
}

fn text(rng: &mut fastrand::Rng) -> String {
    let parts = ["John", "a|b", "\"q\"", "😀", "é", "", "null", "x"];
    (0..rng.usize(0..6))
        .map(|_| parts[rng.usize(0..parts.len())])
        .collect()
}

#[tokio::test]
async fn keys_match_nodes_for_random_params() {
    if !node_tcp_available() {
        return;
    }
    ensure_node_modules().unwrap();
    let mut node = tokio::process::Command::new("node")
        .arg(node_dir().join("cachekey.js"))
        .current_dir(node_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut stdin = node.stdin.take().unwrap();
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let mut rng = fastrand::Rng::with_seed(20261207);
    for case in 0..2000 {
        let params = (rng.u32(0..10) > 0).then(|| Value::Object(object(&mut rng, 3)));
        let meta = object(&mut rng, 2);
        let headers = object(&mut rng, 1);
        let keys: Option<Vec<String>> = (rng.bool()).then(|| {
            (0..rng.usize(0..4))
                .map(|_| {
                    let prefix = ["", "", "#", "@"][rng.usize(0..4)];
                    let paths = [
                        "id",
                        "a",
                        "a.b",
                        "tags",
                        "name",
                        "missing",
                        "x.y",
                        "n",
                        "name.length",
                        "tags[0]",
                    ];
                    let path = paths[rng.usize(0..paths.len())];
                    format!("{prefix}{path}")
                })
                .collect()
        });
        let max = [None, Some(44), Some(50), Some(60), Some(120)][rng.usize(0..5)];
        let mut input = json!({
            "action": "posts.find", "meta": meta, "headers": headers,
            "keys": keys, "maxParamsLength": max,
        });
        // No params: `undefined` in Node, as `None` here.
        if let Some(params) = &params {
            input["params"] = params.clone();
        }
        stdin
            .write_all(format!("{input}\n").as_bytes())
            .await
            .unwrap();
        let line = lines.next_line().await.unwrap().expect("node answers");
        let nodes: Value = serde_json::from_str(&line).unwrap();
        let source = KeySource {
            params: params.as_ref(),
            meta: Some(&meta),
            headers: Some(&headers),
        };
        for (dialect, field) in [(ProtocolVersion::V4, "v14"), (ProtocolVersion::V5, "v15")] {
            let ours = KeyGen::new(dialect, max).key("posts.find", source, keys.as_deref());
            assert_eq!(ours, nodes[field], "case {case}, {field}: {input}");
        }
    }
}
