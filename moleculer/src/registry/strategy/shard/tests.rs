//! Tests of the `Shard` strategy: options, hashing, the ring, key paths and the cache.

use super::super::Strategy;
use super::super::tests::{Stats, options};
use super::*;
use serde_json::json;

fn shard(opts: Value) -> Strategy {
    Strategy::from_name("Shard", &options(opts)).unwrap()
}

/// The node picked for `params`.
fn pick<'a>(s: &Strategy, nodes: &[&'a str], params: &Value) -> &'a str {
    let input = SelectInput {
        params: Some(params),
        meta: None,
    };
    nodes[s.select(nodes, &Stats::default(), &input)]
}

fn shard_state(s: &Strategy) -> parking_lot::MutexGuard<'_, ShardState> {
    match s {
        Strategy::Shard(shard) => shard.state.lock(),
        _ => panic!("not a shard strategy"),
    }
}

#[test]
fn strategy_shard_from_name_options() {
    let none = Map::new();
    let Ok(Strategy::Shard(sh)) = Strategy::from_name("SHARD", &none) else {
        panic!("shard");
    };
    assert_eq!(
        (sh.key, sh.vnodes, sh.ring_size, sh.cache_size),
        (None, 10, None, 1000)
    );
    let o = options(json!({"shardKey": "#tenant", "vnodes": 3, "ringSize": 1000, "cacheSize": 0}));
    let Ok(Strategy::Shard(sh)) = Strategy::from_name("Shard", &o) else {
        panic!("shard");
    };
    assert_eq!(sh.key, Some(ShardKey::Meta("tenant".to_owned())));
    assert_eq!(
        (sh.vnodes, sh.ring_size, sh.cache_size),
        (3, Some(1000.0), 0)
    );
    let o = options(json!({"shardKey": "", "ringSize": 0}));
    let Ok(Strategy::Shard(sh)) = Strategy::from_name("Shard", &o) else {
        panic!("shard");
    };
    assert_eq!((sh.key, sh.ring_size), (None, None));
}

#[test]
fn strategy_shard_md5_prefix_vectors() {
    let s = Shard::new(None, 10, None, 10);
    assert_eq!(s.hash("John"), 1_631_623_841.0);
    assert_eq!(s.hash("user-1"), 3_604_443_219.0);
    assert_eq!(s.hash("héllo"), 3_192_973_383.0);
    assert_eq!(s.hash("日本"), 1_304_351_462.0);
    let s = Shard::new(None, 10, Some(1000.0), 10);
    assert_eq!(s.hash("John"), 841.0);
    let s = Shard::new(None, 10, Some(1000.5), 10);
    assert_eq!(s.hash("John"), 437.0);
}

#[test]
fn strategy_shard_reference_vectors() {
    let s = shard(json!({"shardKey": "name"}));
    let nodes = ["n1", "n2"];
    assert_eq!(pick(&s, &nodes, &json!({"name": "John"})), "n2");
    assert_eq!(pick(&s, &nodes, &json!({"name": "user-1"})), "n1");
    for (key, node) in [
        ("Jane", "n2"),
        ("Adam", "n2"),
        ("Bob", "n2"),
        ("héllo", "n1"),
        ("日本", "n1"),
    ] {
        assert_eq!(pick(&s, &nodes, &json!({ "name": key })), node, "{key}");
    }
    // The candidates' order does not matter: the ring is built from the sorted IDs.
    assert_eq!(pick(&s, &["n2", "n1"], &json!({"name": "John"})), "n2");
    assert_eq!(pick(&s, &["n2", "n1"], &json!({"name": "user-1"})), "n1");
}

#[test]
fn strategy_shard_ring_layout() {
    let s = shard(json!({"shardKey": "k"}));
    pick(&s, &["n2", "n1"], &json!({"k": "x"}));
    let state = shard_state(&s);
    assert_eq!(state.nodes, ["n1", "n2"]);
    assert_eq!(state.ring.len(), 20);
    let slice = DEFAULT_RING_SIZE / 20.0;
    for (i, e) in state.ring.iter().enumerate() {
        let key = if i == 19 {
            DEFAULT_RING_SIZE
        } else {
            (slice * (i + 1) as f64).floor()
        };
        assert_eq!(*e, RingEntry { key, node: i % 2 });
    }
    assert_eq!(state.ring[0].key, 214_748_364.0);
    assert_eq!(state.ring[3].key, 858_993_459.0);
}

#[test]
fn strategy_shard_ring_by_hand_with_ring_size() {
    let s = shard(json!({"shardKey": "k", "vnodes": 4, "ringSize": 1000}));
    let nodes = ["c", "a", "b"];
    // The ring Node builds (checked with Node): sorted [a, b, c], slice 1000/12.
    let expected: Vec<(f64, &str)> = vec![
        (83.0, "a"),
        (166.0, "b"),
        (250.0, "c"),
        (333.0, "a"),
        (416.0, "b"),
        (500.0, "c"),
        (583.0, "a"),
        (666.0, "b"),
        (750.0, "c"),
        (833.0, "a"),
        (916.0, "b"),
        (1000.0, "c"),
    ];
    pick(&s, &nodes, &json!({"k": "John"}));
    {
        let state = shard_state(&s);
        let ring: Vec<(f64, &str)> = state
            .ring
            .iter()
            .map(|e| (e.key, state.nodes[e.node].as_str()))
            .collect();
        assert_eq!(ring, expected);
    }
    // Each key: its hash % 1000 → first ring key >= it.
    for (key, hash, node) in [
        (json!("John"), 841.0, "b"),
        (json!("user-1"), 219.0, "c"),
        (json!("Jane"), 371.0, "b"),
        (json!("x"), 9.0, "a"),
        (json!("y"), 974.0, "c"),
        (json!("z"), 819.0, "a"),
        (json!(42), 184.0, "c"),
    ] {
        let text = js::value_to_string(&key);
        let Strategy::Shard(sh) = &s else {
            unreachable!()
        };
        assert_eq!(sh.hash(&text), hash, "{key}");
        let by_hand = expected.iter().find(|(k, _)| hash <= *k).unwrap().1;
        assert_eq!(by_hand, node, "{key}");
        assert_eq!(pick(&s, &nodes, &json!({ "k": key })), node, "{key}");
    }
}

#[test]
fn strategy_shard_fractional_ring_size() {
    let s = shard(json!({"shardKey": "k", "vnodes": 3, "ringSize": 1000.5}));
    pick(&s, &["n1", "n2"], &json!({"k": "John"}));
    let keys: Vec<f64> = shard_state(&s).ring.iter().map(|e| e.key).collect();
    assert_eq!(keys, [166.0, 333.0, 500.0, 667.0, 833.0, 1000.5]);
    assert_eq!(pick(&s, &["n1", "n2"], &json!({"k": "John"})), "n1");
}

#[test]
fn strategy_shard_key_from_meta() {
    let s = shard(json!({"shardKey": "#user.name"}));
    let nodes = ["n1", "n2"];
    let stats = Stats::default();
    let meta = options(json!({"user": {"name": "John"}}));
    let input = SelectInput {
        params: None,
        meta: Some(&meta),
    };
    assert_eq!(nodes[s.select(&nodes, &stats, &input)], "n2");
    let meta = options(json!({"user": {"name": "user-1"}}));
    let input = SelectInput {
        params: Some(&json!({"user": {"name": "John"}})),
        meta: Some(&meta),
    };
    assert_eq!(nodes[s.select(&nodes, &stats, &input)], "n1");
    // A literal "user.name" key of the meta itself wins over the path.
    let meta = options(json!({"user.name": "user-1", "user": {"name": "John"}}));
    let input = SelectInput {
        params: None,
        meta: Some(&meta),
    };
    assert_eq!(nodes[s.select(&nodes, &stats, &input)], "n1");
}

#[test]
fn strategy_shard_nested_params_paths() {
    let nodes = ["n1", "n2"];
    let params = json!({"a": {"b": {"c": "John"}, "list": [{"id": "x"}, {"id": "user-1"}]}});
    for (path, node) in [
        ("a.b.c", "n2"),
        ("a['b'].c", "n2"),
        ("a[\"b\"][\"c\"]", "n2"),
        ("a.list[1].id", "n1"),
        ("a.list.1.id", "n1"),
    ] {
        let s = shard(json!({ "shardKey": path }));
        assert_eq!(pick(&s, &nodes, &params), node, "{path}");
    }
}

#[test]
fn strategy_shard_value_kinds() {
    let nodes = ["n1", "n2"];
    let s = shard(json!({"shardKey": "k"}));
    // Checked with Node: String(key) then the ring of [n1, n2].
    for (key, node) in [
        (json!(1), "n2"),
        (json!(1.0), "n2"),
        (json!("1"), "n2"),
        (json!(1.5), "n2"),
        (json!(0), "n1"),
        (json!(true), "n2"),
        (json!({"x": 1}), "n2"),
        (json!([1, 2]), "n1"),
        (json!(""), "n1"),
        (json!(1e21), "n1"),
        (json!(123_456_789_012_u64), "n1"),
        (json!(-5), "n2"),
        (json!(0.000_001), "n1"),
        (json!(1e-7), "n1"),
    ] {
        assert_eq!(pick(&s, &nodes, &json!({ "k": key })), node, "{key}");
    }
}

#[test]
fn strategy_shard_without_key_is_random() {
    let nodes = ["n1", "n2", "n3"];
    let s = shard(json!({"shardKey": "k"}));
    for params in [
        json!({}),
        json!({"k": null}),
        json!({"j": "John"}),
        json!(null),
    ] {
        let mut seen = [false; 3];
        for _ in 0..300 {
            let i = s.select(
                &nodes,
                &Stats::default(),
                &SelectInput {
                    params: Some(&params),
                    meta: None,
                },
            );
            seen[i] = true;
        }
        assert_eq!(seen, [true; 3], "{params}");
    }
    // No shardKey at all, or no params.
    let s = shard(json!({}));
    let mut seen = [false; 3];
    for _ in 0..300 {
        seen[s.select(&nodes, &Stats::default(), &SelectInput::default())] = true;
    }
    assert_eq!(seen, [true; 3]);
    assert!(!shard_state(&s).built);
}

#[test]
fn strategy_shard_rebuilds_when_nodes_change() {
    let s = shard(json!({"shardKey": "k"}));
    let keys = ["John", "user-1", "Jane", "x", "y", "z"];
    let picks = |nodes: &[&'static str]| -> Vec<&'static str> {
        keys.iter()
            .map(|k| pick(&s, nodes, &json!({ "k": k })))
            .collect()
    };
    // Checked with Node.
    assert_eq!(
        picks(&["node-1", "node-2", "node-3"]),
        ["node-3", "node-2", "node-3", "node-1", "node-2", "node-3"]
    );
    assert_eq!(
        picks(&["node-2", "node-1"]),
        ["node-2", "node-1", "node-2", "node-1", "node-2", "node-2"]
    );
    assert_eq!(picks(&["node-1"]), ["node-1"; 6]);
    assert_eq!(
        picks(&["node-3", "node-1", "node-2"]),
        ["node-3", "node-2", "node-3", "node-1", "node-2", "node-3"]
    );
    assert_eq!(
        pick(&s, &["node-1", "node-2", "node-3"], &json!({"k": 42})),
        "node-1"
    );
}

#[test]
fn strategy_shard_caches_keys() {
    let s = shard(json!({"shardKey": "k", "cacheSize": 2}));
    let nodes = ["n1", "n2"];
    pick(&s, &nodes, &json!({"k": "John"}));
    pick(&s, &nodes, &json!({"k": "John"}));
    pick(&s, &nodes, &json!({"k": 1}));
    {
        let mut state = shard_state(&s);
        assert_eq!(state.cache.len(), 2);
        let n2 = state.nodes.iter().position(|n| n == "n2");
        assert_eq!(state.cache.get("John"), n2);
        // A planted (wrong) entry proves the cache is read before hashing.
        let n1 = state.nodes.iter().position(|n| n == "n1").unwrap();
        state.cache.insert("John".to_owned(), n1);
    }
    assert_eq!(pick(&s, &nodes, &json!({"k": "John"})), "n1");
    // A node set change rebuilds the ring and clears the cache.
    assert_eq!(pick(&s, &["n1", "n2", "n3"], &json!({"k": "John"})), "n3");
    assert_eq!(shard_state(&s).cache.len(), 1);
    // cacheSize 0 keeps nothing.
    let s = shard(json!({"shardKey": "k", "cacheSize": 0}));
    assert_eq!(pick(&s, &nodes, &json!({"k": "John"})), "n2");
    assert_eq!(shard_state(&s).cache.len(), 0);
}

#[test]
fn strategy_shard_fresh_has_empty_state() {
    let s = shard(json!({"shardKey": "k", "vnodes": 2}));
    pick(&s, &["n1", "n2"], &json!({"k": "John"}));
    let f = s.fresh();
    assert!(!shard_state(&f).built);
    let Strategy::Shard(sh) = &f else {
        panic!("shard")
    };
    assert_eq!(
        (sh.key.clone(), sh.vnodes),
        (Some(ShardKey::Params("k".to_owned())), 2)
    );
}

#[test]
fn strategy_js_sort_is_by_utf16_units() {
    // U+FF61 sorts after U+1F600 in UTF-16 (0xD83D < 0xFF61) but before it in UTF-8.
    assert_eq!(
        js::compare_utf16("\u{1F600}", "\u{FF61}"),
        std::cmp::Ordering::Less
    );
    assert_eq!(js::compare_utf16("a", "b"), std::cmp::Ordering::Less);
    assert_eq!(js::compare_utf16("n10", "n9"), std::cmp::Ordering::Less);
    let s = shard(json!({"shardKey": "k"}));
    pick(&s, &["\u{FF61}", "\u{1F600}"], &json!({"k": "John"}));
    assert_eq!(shard_state(&s).nodes, ["\u{1F600}", "\u{FF61}"]);
}
