//! Tests of [`Strategy`] itself: building from a name and options, and the picks of
//! `RoundRobin`, `Random`, `CpuUsage` and `Latency`. `Shard`, the LRU, the latency store and the
//! JavaScript helpers are tested next to their code.

use std::collections::HashMap;

use super::*;
use serde_json::json;

/// Stats from two tables.
#[derive(Default)]
pub(super) struct Stats {
    cpu: HashMap<String, f64>,
    latency: HashMap<String, f64>,
}

impl Stats {
    fn cpu(pairs: &[(&str, f64)]) -> Self {
        Stats {
            cpu: pairs.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect(),
            ..Stats::default()
        }
    }

    fn latency(pairs: &[(&str, f64)]) -> Self {
        Stats {
            latency: pairs.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect(),
            ..Stats::default()
        }
    }
}

impl NodeStats for Stats {
    fn cpu(&self, node_id: &str) -> Option<f64> {
        self.cpu.get(node_id).copied()
    }

    fn latency_ms(&self, node_id: &str) -> Option<f64> {
        self.latency.get(node_id).copied()
    }
}

/// The object of a `json!` object literal.
pub(super) fn options(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

#[test]
fn strategy_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Strategy>();
    check::<LatencyStore>();
}

#[test]
fn strategy_from_name_is_case_insensitive_with_node_defaults() {
    let none = Map::new();
    assert!(matches!(
        Strategy::from_name("roundrobin", &none),
        Ok(Strategy::RoundRobin(_))
    ));
    assert!(matches!(
        Strategy::from_name("RANDOM", &none),
        Ok(Strategy::Random)
    ));
    let Ok(Strategy::CpuUsage(s)) = Strategy::from_name("CpuUsage", &none) else {
        panic!("cpu usage");
    };
    assert_eq!(
        s,
        Sampling {
            sample_count: 3.0,
            low: 10.0
        }
    );
    let Ok(Strategy::Latency(l)) = Strategy::from_name("latency", &none) else {
        panic!("latency");
    };
    assert_eq!(
        l,
        LatencyOptions {
            sampling: Sampling {
                sample_count: 5.0,
                low: 10.0
            },
            collect_count: 5,
            ping_interval: Duration::from_secs(10),
        }
    );
    assert!(matches!(Strategy::default(), Strategy::RoundRobin(_)));
}

#[test]
fn strategy_from_name_reads_options() {
    let o = options(json!({"sampleCount": 2, "lowCpuUsage": 25.5, "other": "ignored"}));
    let Ok(Strategy::CpuUsage(s)) = Strategy::from_name("CpuUsage", &o) else {
        panic!("cpu usage");
    };
    assert_eq!(
        s,
        Sampling {
            sample_count: 2.0,
            low: 25.5
        }
    );
    let o = options(
        json!({"sampleCount": null, "lowLatency": 3, "collectCount": 7.0, "pingInterval": 0.5}),
    );
    let Ok(Strategy::Latency(l)) = Strategy::from_name("Latency", &o) else {
        panic!("latency");
    };
    assert_eq!(
        l.sampling,
        Sampling {
            sample_count: 5.0,
            low: 3.0
        }
    );
    assert_eq!(l.collect_count, 7);
    assert_eq!(l.ping_interval, Duration::from_millis(500));
}

#[test]
fn strategy_from_name_errors() {
    let none = Map::new();
    for name in ["Foo", "", "Base", "RoundRobinStrategy", "cpu-usage"] {
        let err = Strategy::from_name(name, &none).unwrap_err();
        assert_eq!(err, format!("Invalid strategy type '{name}'."));
    }
    for (name, opts) in [
        ("CpuUsage", json!({"sampleCount": "3"})),
        ("Latency", json!({"lowLatency": true})),
        ("Latency", json!({"collectCount": -1})),
        ("Latency", json!({"collectCount": 1.5})),
        ("Latency", json!({"pingInterval": -1})),
        ("Shard", json!({"shardKey": 5})),
        ("Shard", json!({"vnodes": 0})),
        ("Shard", json!({"ringSize": -10})),
        ("Shard", json!({"cacheSize": "big"})),
    ] {
        assert!(
            Strategy::from_name(name, &options(opts.clone())).is_err(),
            "{name} {opts}"
        );
    }
}

#[test]
fn strategy_round_robin_wraps_and_resets() {
    let s = Strategy::default();
    let nodes = ["a", "b", "c"];
    let stats = Stats::default();
    let input = SelectInput::default();
    let picks: Vec<usize> = (0..7).map(|_| s.select(&nodes, &stats, &input)).collect();
    assert_eq!(picks, [0, 1, 2, 0, 1, 2, 0]);
    // The counter is at 1; a shorter list resets it when it is past the end.
    assert_eq!(s.select(&nodes[..1], &stats, &input), 0); // 1 >= 1: reset, now 1
    assert_eq!(s.select(&nodes[..2], &stats, &input), 1);
    assert_eq!(s.select(&nodes[..2], &stats, &input), 0);
    assert_eq!(s.select(&nodes[..2], &stats, &input), 1);
    // A fresh one starts over.
    s.select(&nodes, &stats, &input);
    assert_eq!(s.fresh().select(&nodes, &stats, &input), 0);
}

#[test]
fn strategy_round_robin_is_fair_across_threads() {
    let s = Strategy::default();
    let nodes = ["a", "b", "c", "d"];
    let counts: Vec<AtomicUsize> = (0..4).map(|_| AtomicUsize::new(0)).collect();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                for _ in 0..1000 {
                    let i = s.select(&nodes, &Stats::default(), &SelectInput::default());
                    counts[i].fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    for c in &counts {
        assert_eq!(c.load(Ordering::Relaxed), 500);
    }
}

#[test]
fn strategy_random_covers_the_list() {
    let s = Strategy::Random;
    let nodes = ["a", "b", "c"];
    let mut seen = [false; 3];
    for _ in 0..300 {
        seen[s.select(&nodes, &Stats::default(), &SelectInput::default())] = true;
    }
    assert_eq!(seen, [true; 3]);
    assert_eq!(
        s.select(&["only"], &Stats::default(), &SelectInput::default()),
        0
    );
    let empty: [&str; 0] = [];
    assert_eq!(
        s.select(&empty, &Stats::default(), &SelectInput::default()),
        0
    );
}

fn cpu_strategy(sample_count: f64, low: f64) -> Strategy {
    Strategy::CpuUsage(Sampling { sample_count, low })
}

#[test]
fn strategy_cpu_usage_first_low_cpu_wins() {
    let nodes = ["a", "b", "c", "d"];
    let stats = Stats::cpu(&[("a", 50.0), ("b", 5.0), ("c", 1.0), ("d", 80.0)]);
    // Sampling all (sampleCount >= length): in order, so the first under 10 wins, not the lowest.
    let s = cpu_strategy(10.0, 10.0);
    for _ in 0..20 {
        assert_eq!(s.select(&nodes, &stats, &SelectInput::default()), 1);
    }
}

#[test]
fn strategy_cpu_usage_lowest_when_none_is_low() {
    let nodes = ["a", "b", "c", "d"];
    let stats = Stats::cpu(&[("a", 50.0), ("b", 30.0), ("c", 30.0), ("d", 80.0)]);
    for count in [0.0, -1.0, 4.0, 100.0] {
        let s = cpu_strategy(count, 10.0);
        // Ties keep the first seen.
        assert_eq!(
            s.select(&nodes, &stats, &SelectInput::default()),
            1,
            "{count}"
        );
    }
}

#[test]
fn strategy_cpu_usage_skips_nodes_without_data() {
    let nodes = ["a", "b", "c"];
    let stats = Stats::cpu(&[("c", 90.0)]);
    let s = cpu_strategy(0.0, 10.0);
    assert_eq!(s.select(&nodes, &stats, &SelectInput::default()), 2);
}

#[test]
fn strategy_cpu_usage_random_without_data() {
    let nodes = ["a", "b", "c"];
    let s = cpu_strategy(0.0, 10.0);
    let mut seen = [false; 3];
    for _ in 0..300 {
        seen[s.select(&nodes, &Stats::default(), &SelectInput::default())] = true;
    }
    assert_eq!(seen, [true; 3]);
}

#[test]
fn strategy_cpu_usage_samples_randomly() {
    let nodes = ["a", "b", "c", "d"];
    // One sample: the pick is whichever node was drawn (no data → random fallback too).
    let stats = Stats::cpu(&[("a", 50.0), ("b", 40.0), ("c", 30.0), ("d", 20.0)]);
    let s = cpu_strategy(1.0, 10.0);
    let mut seen = [false; 4];
    for _ in 0..400 {
        seen[s.select(&nodes, &stats, &SelectInput::default())] = true;
    }
    assert_eq!(seen, [true; 4]);
    // Three samples out of four: the worst node can only win if drawn three times.
    let s = cpu_strategy(3.0, 10.0);
    let picks: Vec<usize> = (0..400)
        .map(|_| s.select(&nodes, &stats, &SelectInput::default()))
        .collect();
    assert!(picks.iter().filter(|&&i| i == 3).count() > 100);
    assert!(picks.iter().filter(|&&i| i == 0).count() < 40);
}

fn latency_strategy(sample_count: f64, low: f64) -> Strategy {
    Strategy::Latency(LatencyOptions {
        sampling: Sampling { sample_count, low },
        collect_count: 5,
        ping_interval: Duration::from_secs(10),
    })
}

#[test]
fn strategy_latency_picks_low_then_lowest() {
    let nodes = ["a", "b", "c"];
    let s = latency_strategy(0.0, 10.0);
    let stats = Stats::latency(&[("a", 40.0), ("b", 8.0), ("c", 2.0)]);
    assert_eq!(s.select(&nodes, &stats, &SelectInput::default()), 1);
    let stats = Stats::latency(&[("a", 40.0), ("b", 18.0), ("c", 12.0)]);
    assert_eq!(s.select(&nodes, &stats, &SelectInput::default()), 2);
    let stats = Stats::latency(&[("b", 18.0)]);
    assert_eq!(s.select(&nodes, &stats, &SelectInput::default()), 1);
    let s = latency_strategy(3.0, 10.0); // == length: all, in order
    let stats = Stats::latency(&[("a", 40.0), ("b", 18.0), ("c", 12.0)]);
    assert_eq!(s.select(&nodes, &stats, &SelectInput::default()), 2);
}

#[test]
fn strategy_latency_random_without_data() {
    let nodes = ["a", "b", "c"];
    let s = latency_strategy(0.0, 10.0);
    let mut seen = [false; 3];
    for _ in 0..300 {
        seen[s.select(&nodes, &Stats::default(), &SelectInput::default())] = true;
    }
    assert_eq!(seen, [true; 3]);
}

#[test]
fn strategy_latency_mirrors_nodes_zero_minimum_quirk() {
    // `!minLatency` is true for 0: with lowLatency 0 a 0 ms best is replaced by the next.
    let nodes = ["a", "b"];
    let stats = Stats::latency(&[("a", 0.0), ("b", 50.0)]);
    assert_eq!(
        latency_strategy(0.0, 0.0).select(&nodes, &stats, &SelectInput::default()),
        1
    );
    // CpuUsage has no such quirk.
    let stats = Stats::cpu(&[("a", 0.0), ("b", 50.0)]);
    assert_eq!(
        cpu_strategy(0.0, 0.0).select(&nodes, &stats, &SelectInput::default()),
        0
    );
}

#[test]
fn strategy_needs_input_only_for_shard_with_key() {
    let none = Map::new();
    for name in ["RoundRobin", "Random", "CpuUsage", "Latency", "Shard"] {
        let s = Strategy::from_name(name, &none).unwrap();
        assert!(!s.needs_input(), "{name}");
        assert!(!s.fresh().needs_input(), "{name}");
    }
    let s = Strategy::from_name("Shard", &options(json!({"shardKey": ""}))).unwrap();
    assert!(!s.needs_input());
    for key in ["id", "#tenant", "a.b[0]"] {
        let s = Strategy::from_name("Shard", &options(json!({ "shardKey": key }))).unwrap();
        assert!(s.needs_input(), "{key}");
        assert!(s.fresh().needs_input(), "{key}");
    }
    // Options a non-shard strategy does not read change nothing.
    let s = Strategy::from_name("Random", &options(json!({"shardKey": "id"}))).unwrap();
    assert!(!s.needs_input());
}

#[test]
fn strategy_is_round_robin() {
    let none = Map::new();
    assert!(Strategy::default().is_round_robin());
    assert!(Strategy::default().fresh().is_round_robin());
    assert!(
        Strategy::from_name("roundRobin", &none)
            .unwrap()
            .is_round_robin()
    );
    for name in ["Random", "CpuUsage", "Latency", "Shard"] {
        let s = Strategy::from_name(name, &none).unwrap();
        assert!(!s.is_round_robin(), "{name}");
    }
}

#[test]
fn strategy_latency_options() {
    let o =
        options(json!({"sampleCount": 2, "lowLatency": 3, "collectCount": 4, "pingInterval": 0}));
    let s = Strategy::from_name("Latency", &o).unwrap();
    assert_eq!(
        s.latency_options(),
        Some(&LatencyOptions {
            sampling: Sampling {
                sample_count: 2.0,
                low: 3.0
            },
            collect_count: 4,
            ping_interval: Duration::ZERO,
        })
    );
    assert_eq!(s.fresh().latency_options(), s.latency_options());
    let none = Map::new();
    for name in ["RoundRobin", "Random", "CpuUsage", "Shard"] {
        let s = Strategy::from_name(name, &none).unwrap();
        assert_eq!(s.latency_options(), None, "{name}");
    }
}
