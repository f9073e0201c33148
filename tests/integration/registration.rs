//! Services collected at link time with `inventory`.

use moleculer::prelude::*;
use moleculer::service::ServiceRegistration;
use serde_json::json;

#[derive(Default)]
struct Collected;

#[service(name = "collected", version = 1)]
impl Collected {
    #[action]
    async fn hi(&self) -> Result<&'static str> {
        Ok("hi")
    }
}

/// Not `Default`: it opts in with a constructor.
struct WithCtor(&'static str);

impl WithCtor {
    fn new() -> WithCtor {
        WithCtor("built")
    }
}

#[service(name = "ctor", register = "WithCtor::new")]
impl WithCtor {
    #[action]
    async fn what(&self) -> Result<&'static str> {
        Ok(self.0)
    }
}

#[test]
fn registrations_are_collected_and_sorted() {
    let all = ServiceRegistration::all();
    let names: Vec<String> = all.iter().map(|r| r.full_name()).collect();
    assert!(names.contains(&"v1.collected".to_owned()));
    assert!(names.contains(&"ctor".to_owned()));
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let mine = all.iter().find(|r| r.name == "collected").unwrap();
    assert!(mine.module_path.ends_with("registration"));
}

#[tokio::test]
async fn with_registered_services_loads_them() {
    let broker = ServiceBroker::builder()
        .with_registered_services()
        .build()
        .unwrap();
    broker.start().await.unwrap();
    assert_eq!(
        broker
            .call::<String, _>("v1.collected.hi", json!({}))
            .await
            .unwrap(),
        "hi"
    );
    assert_eq!(
        broker
            .call::<String, _>("ctor.what", json!({}))
            .await
            .unwrap(),
        "built"
    );
    broker.stop().await.unwrap();
}
