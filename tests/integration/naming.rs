//! Versions, full names, `$noVersionPrefix`, `$noServiceNamePrefix`, visibility, settings.

use moleculer::ErrorKind;
use moleculer::prelude::*;
use serde_json::{Value, json};

#[derive(Default)]
struct Staged;

#[service(name = "math", version = "staging")]
impl Staged {
    #[action]
    async fn add(&self) -> Result<&'static str> {
        Ok("staging")
    }
}

#[derive(Default)]
struct Flat;

#[service(name = "flat", version = 3, settings("$noServiceNamePrefix" = true))]
impl Flat {
    #[action(name = "flat.top")]
    async fn top(&self) -> Result<u8> {
        Ok(1)
    }
}

#[derive(Default)]
struct Vis;

#[service(
    name = "vis",
    settings = {
        "$secureSettings": ["password", "db.password", "keys[0]"],
        password: "secret",
        url: "db://",
        db: { host: "h", password: "nested secret" },
        keys: ["k0", "k1"]
    }
)]
impl Vis {
    #[action(visibility = "public")]
    async fn public(&self) -> Result<u8> {
        Ok(1)
    }

    #[action(visibility = "protected")]
    async fn protected(&self) -> Result<u8> {
        Ok(2)
    }

    #[action(visibility = "private")]
    async fn private(&self) -> Result<u8> {
        Ok(3)
    }

    #[action]
    async fn calls_private(&self) -> Result<u8> {
        // A private action is never registered: the service calls its own method.
        self.private().await
    }
}

async fn broker() -> ServiceBroker {
    let b = ServiceBroker::builder()
        .service(Staged)
        .service(Flat)
        .service(Vis)
        .build()
        .unwrap();
    b.start().await.unwrap();
    b
}

#[tokio::test]
async fn string_versions_and_prefix_settings() {
    let b = broker().await;
    assert_eq!(
        b.call::<String, _>("staging.math.add", json!({}))
            .await
            .unwrap(),
        "staging"
    );
    assert_eq!(b.call::<u8, _>("flat.top", json!({})).await.unwrap(), 1);
    let err = b
        .call::<u8, _>("v3.flat.flat.top", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotFound);
}

#[tokio::test]
async fn visibility_rules() {
    let b = broker().await;
    assert_eq!(b.call::<u8, _>("vis.public", json!({})).await.unwrap(), 1);
    assert_eq!(
        b.call::<u8, _>("vis.protected", json!({})).await.unwrap(),
        2,
        "protected is callable on the same node"
    );
    let err = b.call::<u8, _>("vis.private", json!({})).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotFound);
    assert_eq!(
        b.call::<u8, _>("vis.calls_private", json!({}))
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn secure_settings_are_not_published() {
    let b = broker().await;
    let services: Value = b
        .call(
            "$node.services",
            json!({"skipInternal": true, "withActions": true}),
        )
        .await
        .unwrap();
    let vis = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "vis")
        .unwrap();
    // Dotted paths are taken out too, as Node's `_.omit` does.
    assert_eq!(
        vis["settings"],
        json!({"url": "db://", "db": {"host": "h"}, "keys": [null, "k1"]})
    );
    let actions = vis["actions"].as_object().unwrap();
    assert_eq!(actions["vis.public"]["visibility"], "public");
    assert_eq!(actions["vis.protected"]["visibility"], "protected");
    let staged = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "math")
        .unwrap();
    assert_eq!(staged["version"], "staging");
    assert_eq!(staged["fullName"], "staging.math");
}
