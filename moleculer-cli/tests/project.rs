//! `mol` run inside a project: it reads the project's config file (transporter, namespace)
//! but joins under its own node ID, not the project node's, which stays on the cluster. The
//! cluster is a Rust node on the TCP transporter with a static URL: nothing to install.

mod common;

use std::path::Path;
use std::time::Duration;

use moleculer::ServiceBroker;
use moleculer::prelude::*;
use moleculer::transporter::{TcpOptions, TcpTransporter};
use moleculer_tests::free_port;
use serde_json::{Value, json};

use common::{Mol, Project, Run, mol_id};

/// The project's own node: tells who called it.
struct WhoAmI;

#[service(name = "whoami", register = false)]
impl WhoAmI {
    #[action]
    async fn caller(&self, ctx: Context) -> Result<Value> {
        Ok(json!(ctx.node_id()))
    }
}

/// `mol call whoami.caller` in `dir` with extra `args` and `env`: the caller ID it printed.
async fn caller(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Run, Value) {
    let mut argv = vec!["call", "whoami.caller", "--wait", "20000"];
    argv.extend_from_slice(args);
    let mut mol = Mol::new(&argv).current_dir(dir);
    for (key, value) in env {
        mol = mol.env(key, value);
    }
    let run = mol.run().await;
    let id = run.ok_json();
    (run, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_a_project_mol_joins_under_its_own_node_id() {
    let ns = moleculer_tests::unique_namespace("mol-project");
    let port = free_port();
    let mut tcp = TcpOptions::default();
    tcp.port = Some(port);
    tcp.udp_discovery = false;
    tcp.gossip_period = Duration::from_secs(1);
    let real = ServiceBroker::builder()
        .node_id("real-node")
        .namespace(&ns)
        .transporter(TcpTransporter::new(tcp))
        .service(WhoAmI)
        .build()
        .unwrap();
    real.start().await.unwrap();

    // The project's config names the real node's ID, namespace and address.
    let toml = Project::with_file(
        "moleculer.config.toml",
        &format!(
            "nodeID = \"real-node\"\nnamespace = \"{ns}\"\n\n[transporter]\ntype = \"TCP\"\n\n\
             [transporter.options]\nudpDiscovery = false\nurls = [\"127.0.0.1:{port}/real-node\"]\n"
        ),
    );
    let json_config = json!({
        "nodeID": "real-node",
        "namespace": ns,
        "transporter": { "type": "TCP", "options": {
            "udpDiscovery": false, "urls": [format!("127.0.0.1:{port}/real-node")],
        }},
    });
    let json = Project::with_file("moleculer.config.json", &json_config.to_string());
    let elsewhere = Project::with_file("cluster.json", &json_config.to_string());
    let config_var = elsewhere.file("cluster.json");
    let config_var = config_var.to_str().unwrap();
    let empty = Project::with_file("README", "not a project");

    let config_env = [("MOLECULER_CONFIG", config_var)];
    let node_id_env = [("NODEID", "env-node")];
    let (from_toml, from_json, from_var, from_env, from_flag) = tokio::join!(
        caller(&toml.dir, &[], &[]),
        caller(&json.dir, &[], &[]),
        caller(&empty.dir, &[], &config_env),
        caller(&toml.dir, &[], &node_id_env),
        caller(&toml.dir, &["--node-id", "flag-node"], &node_id_env),
    );
    // The config's transporter and namespace were used (the call reached the real node), its
    // nodeID was not.
    for (run, id) in [&from_toml, &from_json, &from_var] {
        assert_eq!(*id, json!(mol_id(run.pid)), "{run:?}");
    }
    assert_eq!(from_env.1, json!("env-node"), "{:?}", from_env.0);
    assert_eq!(from_flag.1, json!("flag-node"), "{:?}", from_flag.0);

    // The real node saw these clients join beside it, none under its own ID.
    let list: Value = real
        .call("$node.list", json!({ "onlyAvailable": false }))
        .await
        .unwrap();
    let remotes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["local"] == false)
        .filter_map(|n| n["id"].as_str())
        .collect();
    let expected = [
        mol_id(from_toml.0.pid),
        mol_id(from_json.0.pid),
        mol_id(from_var.0.pid),
        "env-node".to_owned(),
        "flag-node".to_owned(),
    ];
    for id in &expected {
        assert!(remotes.contains(&id.as_str()), "{id} not in {list}");
    }
    assert!(!remotes.contains(&"real-node"), "{list}");
    real.stop().await.unwrap();
}
