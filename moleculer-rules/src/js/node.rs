//! The same inputs through Node itself: every double pattern the tests generate, printed by
//! `String(x)`, and every text read by `Number(text)`, must come out as Node's.
//!
//! Without `node` on `PATH` the checks are skipped with a printed reason (they fail instead
//! when `MOLECULER_REQUIRE_BROKERS=1`, as in CI).

use std::io::Write;
use std::process::{Command, Stdio};

use super::*;

/// Runs `script` with `input` on stdin and returns its output lines; `None` when `node`
/// cannot be run.
fn run_node(script: &str, input: &str) -> Option<Vec<String>> {
    let spawned = Command::new("node")
        .args(["-e", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => {
            let reason = format!("node not available ({err})");
            let required = std::env::var("MOLECULER_REQUIRE_BROKERS").is_ok_and(|v| v == "1");
            assert!(!required, "{reason}");
            println!("skipped: {reason}");
            return None;
        }
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(input.as_bytes()).expect("write to node");
    drop(stdin);
    let out = child.wait_with_output().expect("node output");
    assert!(out.status.success(), "node failed: {}", out.status);
    let text = String::from_utf8(out.stdout).expect("utf-8 from node");
    Some(text.lines().map(str::to_owned).collect())
}

/// A deterministic stream of 64-bit patterns (xorshift64*).
fn patterns(seed: u64) -> impl Iterator<Item = u64> {
    let mut state = seed;
    std::iter::repeat_with(move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

/// Doubles of every kind: any bit pattern, short decimals, binary fractions of large
/// integers (where ties between shortest digit strings happen), and the neighbours of the
/// powers of ten around the format's switches.
fn doubles() -> Vec<f64> {
    let mut out: Vec<f64> = patterns(7).take(3000).map(f64::from_bits).collect();
    let mut bits = patterns(11);
    for _ in 0..1500 {
        let (a, b) = (bits.next().unwrap_or(1), bits.next().unwrap_or(1));
        #[allow(clippy::cast_precision_loss)]
        let decimal = (a % 10_000_000) as f64 / 10f64.powi((b % 30) as i32 - 10);
        out.push(decimal);
        #[allow(clippy::cast_precision_loss)]
        let fraction = (a >> (11 + b % 24)) as f64 / f64::from(1 << (b % 8));
        out.push(-fraction);
    }
    for exp in -30..=30 {
        let p = 10f64.powi(exp);
        out.extend([
            p,
            f64::from_bits(p.to_bits() + 1),
            f64::from_bits(p.to_bits() - 1),
        ]);
    }
    out.extend([
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::MIN_POSITIVE,
        f64::MAX,
    ]);
    out
}

#[test]
fn number_to_string_agrees_with_node() {
    let xs = doubles();
    let input: String = xs
        .iter()
        .map(|x| format!("{:016x}\n", x.to_bits()))
        .collect();
    let script = r#"
        const dv = new DataView(new ArrayBuffer(8));
        const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
        console.log(lines.map(h => { dv.setBigUint64(0, BigInt("0x" + h)); return String(dv.getFloat64(0)); }).join("\n"));
    "#;
    let Some(node) = run_node(script, &input) else {
        return;
    };
    assert_eq!(node.len(), xs.len());
    let wrong: Vec<String> = xs
        .iter()
        .zip(&node)
        .filter(|(x, text)| number_to_string(**x) != **text)
        .map(|(x, text)| format!("{x:e}: node {text}, here {}", number_to_string(*x)))
        .collect();
    assert!(wrong.is_empty(), "{} differ: {wrong:#?}", wrong.len());
}

/// `text` as a JSON string literal, so that any character reaches Node intact.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for unit in text.encode_utf16() {
        match char::from_u32(u32::from(unit)) {
            Some(c) if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' => out.push(c),
            _ => out.push_str(&format!("\\u{unit:04x}")),
        }
    }
    out.push('"');
    out
}

/// Texts of every kind: the literal forms, each JavaScript and non-JavaScript space around
/// a number, long decimals, and hexadecimal and binary integers past 2^53.
fn texts() -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        " ",
        "1",
        "-1",
        "+1",
        "1.",
        ".1",
        "-.1",
        "+.1e1",
        "1e+2",
        "1E-2",
        "1e2.5",
        "00.5",
        "0x",
        "0x0",
        "0xG",
        "0b2",
        "0o8",
        "0o",
        "-0b1",
        "0x-1",
        "Infinity",
        "-Infinity",
        "+Infinity",
        "InfinityX",
        "- 1",
        "1 2",
        "١",
        "1\u{0}",
        "--1",
        "0.0e0",
        "1e-7",
    ]
    .map(str::to_owned)
    .to_vec();
    let spaces = (0..0x3001_u32)
        .chain([0x180e, 0x200b, 0x2060, 0xfeff, 0xfffe])
        .filter_map(char::from_u32)
        .filter(|c| c.is_whitespace() || c.is_control() || is_space(*c) || u32::from(*c) > 0x2000);
    out.extend(spaces.map(|c| format!("{c}42{c}")));
    let mut bits = patterns(13);
    for _ in 0..300 {
        let (a, b) = (bits.next().unwrap_or(1), bits.next().unwrap_or(1));
        out.push(format!("{a}.{b}e{}", (a % 700) as i64 - 350));
        out.push(format!("0x{a:x}{b:016x}"));
        out.push(format!("0b{a:b}{b:b}"));
        out.push(format!("0o{a:o}"));
    }
    out
}

#[test]
fn string_to_number_agrees_with_node() {
    let texts = texts();
    let input: String = texts.iter().map(|t| json_string(t) + "\n").collect();
    let script = r#"
        const dv = new DataView(new ArrayBuffer(8));
        const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
        console.log(lines.map(l => {
            const n = Number(JSON.parse(l));
            if (Number.isNaN(n)) return "NaN";
            dv.setFloat64(0, n);
            return dv.getBigUint64(0).toString(16).padStart(16, "0");
        }).join("\n"));
    "#;
    let Some(node) = run_node(script, &input) else {
        return;
    };
    assert_eq!(node.len(), texts.len());
    let here =
        |t: &str| string_to_number(t).map_or("NaN".to_owned(), |x| format!("{:016x}", x.to_bits()));
    let wrong: Vec<String> = texts
        .iter()
        .zip(&node)
        .filter(|(t, n)| here(t) != **n)
        .map(|(t, n)| format!("{t:?}: node {n}, here {}", here(t)))
        .collect();
    assert!(wrong.is_empty(), "{} differ: {wrong:#?}", wrong.len());
}

#[test]
fn whitespace_agrees_with_node() {
    let script = r#"
        const out = [];
        for (let c = 0; c < 0x10000; c++) if (c < 0xd800 || c > 0xdfff) if (String.fromCharCode(c).trim() === "") out.push(c);
        console.log(out.join(","));
    "#;
    let Some(node) = run_node(script, "") else {
        return;
    };
    let here: Vec<String> = (0..0x10000_u32)
        .filter_map(char::from_u32)
        .filter(|c| is_space(*c))
        .map(|c| u32::from(c).to_string())
        .collect();
    assert_eq!(node, [here.join(",")]);
}
