//! Tables for each command's JSON result, with moleculer-repl's columns.

use serde_json::{Map, Value};

use crate::table::Table;

/// A cell for any JSON value: strings as they are, `null` as `-`, others as compact JSON.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The items of a JSON array (none for anything else).
fn items(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// How many entries an array or object has (0 for anything else).
fn count(value: &Value) -> usize {
    match value {
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    }
}

/// `OK`, or `NOT AVAILABLE` when `available` is false.
fn state(item: &Value) -> &'static str {
    if item["available"] == Value::Bool(false) {
        "NOT AVAILABLE"
    } else {
        "OK"
    }
}

/// `$node.list`: ID (`(*)` marks this client), Type, Version, IP, Hostname, Status.
pub(crate) fn nodes(list: &Value) -> Table {
    let mut t = Table::new(["ID", "Type", "Version", "IP", "Hostname", "Status"]);
    for node in items(list) {
        let mut id = cell(&node["id"]);
        if node["local"] == Value::Bool(true) {
            id.push_str(" (*)");
        }
        let status = if node["available"] == Value::Bool(true) {
            "ONLINE"
        } else {
            "OFFLINE"
        };
        t.push([
            id,
            cell(&node["client"]["type"]),
            cell(&node["client"]["version"]),
            cell(&node["ipList"][0]),
            cell(&node["hostname"]),
            status.to_owned(),
        ]);
    }
    t
}

/// `$node.services` (with actions and events): Service, Version, State, Actions, Events,
/// Nodes (how many).
pub(crate) fn services(list: &Value) -> Table {
    let mut t = Table::new(["Service", "Version", "State", "Actions", "Events", "Nodes"]);
    for svc in items(list) {
        let nodes = if svc["nodes"].is_array() {
            count(&svc["nodes"])
        } else {
            usize::from(svc["nodeID"].is_string())
        };
        t.push([
            cell(&svc["name"]),
            cell(&svc["version"]),
            state(svc).to_owned(),
            count(&svc["actions"]).to_string(),
            count(&svc["events"]).to_string(),
            nodes.to_string(),
        ]);
    }
    t
}

/// `$node.actions`: Action, Nodes (how many endpoints), State.
pub(crate) fn actions(list: &Value) -> Table {
    let mut t = Table::new(["Action", "Nodes", "State"]);
    for action in items(list) {
        t.push([
            cell(&action["name"]),
            cell(&action["count"]),
            state(action).to_owned(),
        ]);
    }
    t
}

/// `$node.events`: Event, Group, Nodes (how many endpoints).
pub(crate) fn events(list: &Value) -> Table {
    let mut t = Table::new(["Event", "Group", "Nodes"]);
    for event in items(list) {
        t.push([
            cell(&event["name"]),
            cell(&event["group"]),
            cell(&event["count"]),
        ]);
    }
    t
}

/// A ping result: one `{nodeID, elapsedTime, timeDiff}` or a map of them by node; `null`
/// answers are shown as timeouts.
pub(crate) fn pings(result: &Value) -> Table {
    let mut t = Table::new(["Node", "Elapsed (ms)", "Time diff (ms)"]);
    let mut row = |node: String, pong: &Value| {
        if pong.is_null() {
            t.push([node, "timeout".to_owned(), "-".to_owned()]);
        } else {
            t.push([node, cell(&pong["elapsedTime"]), cell(&pong["timeDiff"])]);
        }
    };
    match result {
        Value::Object(map) if !map.contains_key("elapsedTime") => {
            for (node, pong) in map {
                row(node.clone(), pong);
            }
        }
        pong => row(cell(&pong["nodeID"]), pong),
    }
    t
}

/// A call's result: an object as Key/Value rows, an array of objects with one column per
/// key; `None` for other values (printed as JSON).
pub(crate) fn result(value: &Value) -> Option<Table> {
    match value {
        Value::Object(map) => {
            let mut t = Table::new(["Key", "Value"]);
            for (key, value) in map {
                t.push([key.clone(), cell(value)]);
            }
            Some(t)
        }
        Value::Array(list) if !list.is_empty() && list.iter().all(Value::is_object) => {
            let objects: Vec<&Map<String, Value>> =
                list.iter().filter_map(Value::as_object).collect();
            let mut columns: Vec<&String> = Vec::new();
            for key in objects.iter().flat_map(|o| o.keys()) {
                if !columns.contains(&key) {
                    columns.push(key);
                }
            }
            let mut t = Table::new(columns.iter().map(|c| c.as_str()));
            for object in objects {
                t.push(
                    columns
                        .iter()
                        .map(|c| object.get(c.as_str()).map_or_else(String::new, cell)),
                );
            }
            Some(t)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nodes_table() {
        let list = json!([
            { "id": "mol-x-1", "local": true, "available": true, "hostname": "x",
              "ipList": ["10.0.0.1", "10.0.0.2"], "client": { "type": "rust", "version": "0.1.0" } },
            { "id": "node-js", "local": false, "available": false, "hostname": "y",
              "ipList": [], "client": { "type": "nodejs", "version": "0.14.35" } },
        ]);
        assert_eq!(
            nodes(&list).to_string(),
            "ID           Type    Version  IP        Hostname  Status\n\
             -----------  ------  -------  --------  --------  -------\n\
             mol-x-1 (*)  rust    0.1.0    10.0.0.1  x         ONLINE\n\
             node-js      nodejs  0.14.35  -         y         OFFLINE\n"
        );
    }

    #[test]
    fn services_table() {
        let list = json!([
            { "name": "math", "version": 2, "available": true, "nodes": ["a", "b"],
              "actions": { "v2.math.add": {}, "v2.math.sub": {} }, "events": {} },
            { "name": "$node", "version": null, "available": false, "nodeID": "a",
              "actions": { "$node.list": {} }, "events": { "x": {} } },
        ]);
        let t = services(&list);
        assert_eq!(
            t.rows(),
            [
                vec!["math", "2", "OK", "2", "0", "2"],
                vec!["$node", "-", "NOT AVAILABLE", "1", "1", "1"],
            ]
        );
        assert!(t.to_string().starts_with("Service  Version  State"));
    }

    #[test]
    fn actions_and_events_tables() {
        let list = json!([
            { "name": "math.add", "count": 2, "available": true },
            { "name": "math.div", "count": 1, "available": false },
        ]);
        assert_eq!(
            actions(&list).rows(),
            [
                vec!["math.add", "2", "OK"],
                vec!["math.div", "1", "NOT AVAILABLE"]
            ]
        );
        let list = json!([{ "name": "user.*", "group": "mailer", "count": 3 }]);
        assert_eq!(events(&list).rows(), [vec!["user.*", "mailer", "3"]]);
        assert_eq!(events(&json!(null)).rows().len(), 0);
    }

    #[test]
    fn ping_tables() {
        let one = json!({ "nodeID": "n1", "elapsedTime": 3, "timeDiff": -1, "id": "x" });
        assert_eq!(pings(&one).rows(), [vec!["n1", "3", "-1"]]);
        let all = json!({ "n1": { "nodeID": "n1", "elapsedTime": 2, "timeDiff": 0 }, "n2": null });
        assert_eq!(
            pings(&all).rows(),
            [vec!["n1", "2", "0"], vec!["n2", "timeout", "-"]]
        );
    }

    #[test]
    fn call_results() {
        let t = result(&json!({ "sum": 3, "name": "ann", "tags": ["a"], "none": null })).unwrap();
        assert_eq!(
            t.rows(),
            [
                vec!["sum", "3"],
                vec!["name", "ann"],
                vec!["tags", r#"["a"]"#],
                vec!["none", "-"],
            ]
        );
        let t = result(&json!([{ "a": 1 }, { "b": "x", "a": 2 }])).unwrap();
        assert_eq!(t.to_string(), "a  b\n-  -\n1\n2  x\n");
        assert_eq!(result(&json!(3)), None);
        assert_eq!(result(&json!([1, 2])), None);
        assert_eq!(result(&json!([])), None);
    }
}
