//! Lifecycle: created/started/stopped order, dependencies, waitForServices, late services.

use std::time::Duration;

use moleculer::ErrorKind;
use moleculer::prelude::*;
use moleculer_tests::Recorder;
use serde_json::json;

struct Step {
    name: &'static str,
    log: Recorder,
}

#[service(name = "a", register = false)]
impl Step {
    #[created]
    fn created(&self, broker: &ServiceBroker) {
        self.log.push(json!(format!(
            "created {} on {}",
            self.name,
            broker.node_id()
        )));
    }

    #[started]
    async fn started(&self) -> Result<()> {
        tokio::time::sleep(Duration::from_millis(30)).await;
        self.log.push(json!(format!("started {}", self.name)));
        Ok(())
    }

    #[stopped]
    async fn stopped(&self) {
        self.log.push(json!(format!("stopped {}", self.name)));
    }

    #[action]
    async fn ping(&self) -> Result<&'static str> {
        Ok(self.name)
    }
}

struct Dependent {
    log: Recorder,
}

#[service(name = "b", dependencies("a"), register = false)]
impl Dependent {
    #[started]
    async fn started(&self, broker: &ServiceBroker) -> Result<()> {
        // The dependency is callable by the time this runs.
        let pong: String = broker.call("a.ping", json!({})).await?;
        self.log.push(json!(format!("started b after {pong}")));
        Ok(())
    }

    #[stopped]
    async fn stopped(&self) {
        self.log.push(json!("stopped b"));
    }
}

#[tokio::test]
async fn services_start_in_dependency_order_and_stop_in_reverse() {
    let log = Recorder::default();
    // `b` is added first but waits for `a`.
    let broker = ServiceBroker::builder()
        .node_id("life")
        .service(Dependent { log: log.clone() })
        .service(Step {
            name: "a",
            log: log.clone(),
        })
        .build()
        .unwrap();
    assert_eq!(log.take(), [json!("created a on life")]);
    broker.start().await.unwrap();
    assert_eq!(log.take(), [json!("started a"), json!("started b after a")]);
    broker.stop().await.unwrap();
    assert_eq!(log.take(), [json!("stopped a"), json!("stopped b")]);
}

#[tokio::test]
async fn a_missing_dependency_times_out() {
    struct Lonely;
    #[service(name = "lonely", dependencies("ghost"), settings("$dependencyTimeout" = 50), register = false)]
    impl Lonely {}
    let broker = ServiceBroker::builder().service(Lonely).build().unwrap();
    let err = broker.start().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.error_type(), Some("WAITFOR_SERVICES"));
    assert_eq!(
        err.data().unwrap()["statuses"],
        json!([{"name": "ghost", "available": false}])
    );
}

#[tokio::test]
async fn wait_for_services_sees_late_services() {
    let log = Recorder::default();
    let broker = ServiceBroker::builder().build().unwrap();
    broker.start().await.unwrap();
    let waiter = {
        let broker = broker.clone();
        tokio::spawn(async move {
            broker
                .wait_for_services(&["a"], Some(Duration::from_secs(2)))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    broker
        .add_service(Step {
            name: "a",
            log: log.clone(),
        })
        .unwrap();
    waiter.await.unwrap().unwrap();
    let pong: String = broker.call("a.ping", json!({})).await.unwrap();
    assert_eq!(pong, "a");
    let err = broker
        .wait_for_services(&["nope"], Some(Duration::from_millis(20)))
        .await
        .unwrap_err();
    assert_eq!(err.message(), "Services waiting is timed out.");
}

#[tokio::test]
async fn a_failing_started_fails_the_start() {
    struct Broken;
    #[service(name = "broken", register = false)]
    impl Broken {
        #[started]
        async fn started(&self) -> Result<()> {
            Err(Error::client("no database").with_type("DB_DOWN"))
        }
    }
    let broker = ServiceBroker::builder().service(Broken).build().unwrap();
    let err = broker.start().await.unwrap_err();
    assert_eq!(err.error_type(), Some("DB_DOWN"));
}

#[tokio::test]
async fn starting_twice_is_an_error() {
    let broker = ServiceBroker::builder().build().unwrap();
    broker.start().await.unwrap();
    assert!(broker.is_started());
    assert!(broker.start().await.is_err());
    broker.stop().await.unwrap();
    assert!(!broker.is_started());
}
