//! `maxSafeObjectSize`: Node's `utils.safetyObject` truncation of big values in "safe"
//! outputs.

use serde_json::Value;

/// `value` with every array longer than `max` replaced by `"[Array <length>]"`, as Node's
/// `circularReplacer` does (an object whose own `length` or `size` is a number above `max`
/// becomes `"[Object <n>]"` there too). `None` and `Some(0)` mean no limit, as Node's `null`
/// and `0`.
pub(crate) fn truncated(value: Value, max: Option<usize>) -> Value {
    match max {
        Some(max) if max > 0 => truncate(value, max as f64),
        _ => value,
    }
}

fn truncate(value: Value, max: f64) -> Value {
    match value {
        Value::Array(items) if items.len() as f64 > max => {
            Value::String(format!("[Array {}]", items.len()))
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|v| truncate(v, max)).collect()),
        Value::Object(map) => {
            let counted = ["length", "size"]
                .iter()
                .find_map(|key| map.get(*key).and_then(Value::as_f64));
            match counted {
                Some(n) if n > max => Value::String(format!("[Object {n}]")),
                _ => Value::Object(
                    map.into_iter()
                        .map(|(k, v)| (k, truncate(v, max)))
                        .collect(),
                ),
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_arrays_become_their_length() {
        let value =
            json!({"a": [1, 2, 3], "b": [1, 2], "c": {"d": [[1, 2, 3], 4]}, "s": "long text"});
        assert_eq!(
            truncated(value.clone(), Some(2)),
            json!({"a": "[Array 3]", "b": [1, 2], "c": {"d": ["[Array 3]", 4]}, "s": "long text"})
        );
        assert_eq!(truncated(value.clone(), None), value);
        assert_eq!(truncated(value.clone(), Some(0)), value);
    }

    #[test]
    fn objects_with_a_length_count_as_node_counts_them() {
        assert_eq!(
            truncated(json!({"m": {"length": 9}}), Some(5)),
            json!({"m": "[Object 9]"})
        );
        assert_eq!(
            truncated(json!({"m": {"size": 3}}), Some(5)),
            json!({"m": {"size": 3}})
        );
    }
}
