//! Generated code survives a module without the prelude, a shadowed `Result`/`Option`, and a
//! local `moleculer` module.

#[no_implicit_prelude]
mod no_prelude {
    #[allow(dead_code)]
    type Result<T> = ::std::result::Result<T, ()>;
    #[allow(dead_code)]
    type Option = ();
    #[allow(dead_code)]
    mod moleculer {}

    #[derive(::core::default::Default)]
    pub(super) struct Plain;

    #[::moleculer::service(name = "hygiene", version = 1, settings(a = 1))]
    impl Plain {
        #[action(params = { n: "number" })]
        async fn double(
            &self,
            ctx: ::moleculer::Context,
        ) -> ::std::result::Result<f64, ::moleculer::Error> {
            ::std::result::Result::Ok(ctx.params["n"].as_f64().unwrap_or(0.0) * 2.0)
        }

        #[event(name = "hygiene.*")]
        async fn on(&self, _ctx: ::moleculer::EventContext) {}

        #[started]
        async fn started(&self) {}
    }
}

#[tokio::test]
async fn macros_do_not_need_the_prelude() {
    let broker = moleculer::ServiceBroker::builder()
        .service(no_prelude::Plain)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let v: f64 = broker
        .call("v1.hygiene.double", serde_json::json!({"n": 2}))
        .await
        .unwrap();
    assert_eq!(v, 4.0);
}

mod renamed {
    // The runtime crate under another name, as a user who renamed the dependency.
    pub(super) use ::moleculer as mol;

    #[derive(Default)]
    pub(super) struct Renamed;

    #[mol::service(name = "renamed", crate = "mol")]
    impl Renamed {
        #[action]
        async fn hi(&self) -> mol::Result<&'static str> {
            Ok("hi")
        }
    }
}

#[tokio::test]
async fn crate_path_can_be_renamed() {
    let broker = moleculer::ServiceBroker::builder()
        .service(renamed::Renamed)
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let v: String = broker
        .call("renamed.hi", serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(v, "hi");
}
