//! Middleware wrappers around the broker's methods (`call`, `mcall`, `emit`, `broadcast`,
//! `broadcast_local`): what they see, that their changes take effect, their order, and that a
//! declining middleware changes nothing.

use std::sync::Arc;
use std::time::Duration;

use moleculer::middleware::{
    CallHandler, CallRequest, EmitHandler, EmitRequest, McallHandler, McallRequest, Middleware,
};
use moleculer::prelude::*;
use moleculer::{CallDef, ErrorKind, EventType, MultiCall};
use moleculer_tests::Recorder;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Serialize, Deserialize, JsonSchema, Validate)]
struct Pair {
    a: f64,
    b: f64,
}

struct Calc {
    log: Recorder,
}

#[service(name = "calc", register = false)]
impl Calc {
    #[action]
    async fn double(&self, ctx: Context) -> Result<f64> {
        self.log.push(json!(format!("double {}", ctx.params["x"])));
        Ok(ctx.params["x"].as_f64().unwrap_or(0.0) * 2.0)
    }

    #[action(params = Pair)]
    async fn add(&self, ctx: Context<Pair>) -> Result<f64> {
        Ok(ctx.params.a + ctx.params.b)
    }

    /// Calls `calc.double` from within a handler.
    #[action]
    async fn outer(&self, ctx: Context) -> Result<f64> {
        ctx.call("calc.double", json!({ "x": 3 })).await
    }

    #[event(name = "calc.**")]
    async fn seen(&self, ctx: EventContext) {
        self.log
            .push(json!({ "event": ctx.event_name(), "payload": ctx.params }));
    }

    #[event(name = "$broker.started")]
    async fn broker_started(&self, _ctx: EventContext) {
        self.log.push(json!("$broker.started handled"));
    }
}

/// Records `"<name>> <action>"` before a call and `"<<name>"` after it; optionally rewrites
/// the params of one action, or answers another itself.
#[derive(Clone)]
struct CallTracer {
    name: &'static str,
    log: Recorder,
    rewrite: Option<(&'static str, Value)>,
    answer: Option<(&'static str, Value)>,
}

impl CallTracer {
    fn new(name: &'static str, log: &Recorder) -> CallTracer {
        CallTracer {
            name,
            log: log.clone(),
            rewrite: None,
            answer: None,
        }
    }
}

impl Middleware for CallTracer {
    fn call(&self, next: &CallHandler) -> Option<CallHandler> {
        let next = next.clone();
        let this = self.clone();
        Some(Arc::new(move |mut req: CallRequest| {
            let (name, log) = (this.name, this.log.clone());
            let sub = if req.options.is_sub_call() {
                " (sub)"
            } else {
                ""
            };
            log.push(json!(format!("{name}> {}{sub}", req.action)));
            if let Some((action, answer)) = &this.answer
                && req.action == *action
            {
                let answer = answer.clone();
                return Box::pin(async move { Ok(Payload::json(answer)) });
            }
            if let Some((action, params)) = &this.rewrite
                && req.action == *action
            {
                req.params = Payload::json(params.clone());
            }
            let running = next(req);
            Box::pin(async move {
                let result = running.await;
                log.push(json!(format!("<{name}")));
                result
            })
        }))
    }
}

fn calc_broker(node: &str, log: &Recorder, middlewares: Vec<CallTracer>) -> ServiceBroker {
    let mut builder = ServiceBroker::builder().node_id(node);
    for mw in middlewares {
        builder = builder.middleware(mw);
    }
    builder.service(Calc { log: log.clone() }).build().unwrap()
}

#[tokio::test]
async fn call_wrappers_run_last_added_outermost_and_see_sub_calls() {
    let log = Recorder::default();
    let broker = calc_broker(
        "mw-call-order",
        &log,
        vec![CallTracer::new("A", &log), CallTracer::new("B", &log)],
    );
    broker.start().await.unwrap();
    log.take();

    let doubled: f64 = broker.call("calc.double", json!({ "x": 4 })).await.unwrap();
    assert_eq!(doubled, 8.0);
    assert_eq!(
        log.take_strings(),
        ["B> calc.double", "A> calc.double", "double 4", "<A", "<B"]
    );

    // A handler's own calls go through the wrappers too, marked as sub-calls.
    let doubled: f64 = broker.call("calc.outer", json!({})).await.unwrap();
    assert_eq!(doubled, 6.0);
    assert_eq!(
        log.take_strings(),
        [
            "B> calc.outer",
            "A> calc.outer",
            "B> calc.double (sub)",
            "A> calc.double (sub)",
            "double 3",
            "<A",
            "<B",
            "<A",
            "<B"
        ]
    );

    // Typed params still reach a typed handler, and errors come back through the wrappers.
    let sum: f64 = broker
        .call("calc.add", Pair { a: 1.0, b: 2.0 })
        .await
        .unwrap();
    assert_eq!(sum, 3.0);
    let err = broker
        .call::<f64, _>("calc.add", json!({ "a": 1 }))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let err = broker
        .call::<f64, _>("calc.missing", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceNotFound);
    assert_eq!(log.take().len(), 12);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn a_call_wrapper_may_change_the_params_or_answer_itself() {
    let log = Recorder::default();
    let mut editor = CallTracer::new("E", &log);
    editor.rewrite = Some(("calc.double", json!({ "x": 10 })));
    editor.answer = Some(("calc.nowhere", json!({ "from": "middleware" })));
    let broker = calc_broker("mw-call-change", &log, vec![editor]);
    broker.start().await.unwrap();

    let doubled: f64 = broker.call("calc.double", json!({ "x": 1 })).await.unwrap();
    assert_eq!(doubled, 20.0);
    // No such action: the wrapper's answer is the result, the broker never looks it up.
    let answer: Value = broker.call("calc.nowhere", json!({})).await.unwrap();
    assert_eq!(answer, json!({ "from": "middleware" }));
    let log = log.take_strings();
    assert!(log.contains(&"double 10".to_owned()), "{log:?}");
    assert!(!log.contains(&"double 1".to_owned()), "{log:?}");
    broker.stop().await.unwrap();
}

/// Implements every method hook and declines each.
struct Decliner;

impl Middleware for Decliner {
    fn call(&self, next: &CallHandler) -> Option<CallHandler> {
        let _ = next;
        None
    }
    fn mcall(&self, next: &McallHandler) -> Option<McallHandler> {
        let _ = next;
        None
    }
    fn emit(&self, next: &EmitHandler) -> Option<EmitHandler> {
        let _ = next;
        None
    }
    fn broadcast(&self, next: &EmitHandler) -> Option<EmitHandler> {
        let _ = next;
        None
    }
    fn broadcast_local(&self, next: &EmitHandler) -> Option<EmitHandler> {
        let _ = next;
        None
    }
}

#[tokio::test]
async fn a_declining_middleware_changes_nothing() {
    let log = Recorder::default();
    let broker = ServiceBroker::builder()
        .node_id("mw-decline")
        .middleware(Decliner)
        .service(Calc { log: log.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    let doubled: f64 = broker.call("calc.double", json!({ "x": 2 })).await.unwrap();
    assert_eq!(doubled, 4.0);
    let sum: f64 = broker
        .call("calc.add", Pair { a: 2.0, b: 2.0 })
        .await
        .unwrap();
    assert_eq!(sum, 4.0);
    let results = broker
        .mcall(MultiCall::list([CallDef::new(
            "calc.double",
            json!({ "x": 5 }),
        )]))
        .await
        .unwrap();
    assert_eq!(results, json!([10.0]));
    broker.emit("calc.done", json!({ "n": 1 })).await.unwrap();
    let seen = log.take();
    assert!(seen.contains(&json!({ "event": "calc.done", "payload": { "n": 1 } })));
    assert!(seen.contains(&json!("$broker.started handled")));
    broker.stop().await.unwrap();
}

/// Records each `mcall` and makes it settled.
struct McallSpy(Recorder);

impl Middleware for McallSpy {
    fn mcall(&self, next: &McallHandler) -> Option<McallHandler> {
        let next = next.clone();
        let log = self.0.clone();
        Some(Arc::new(move |mut req: McallRequest| {
            let actions: Vec<&str> = req.calls.calls().iter().map(|(_, c)| &*c.action).collect();
            log.push(json!(format!("mcall {}", actions.join(","))));
            req.calls = req.calls.settled(true);
            next(req)
        }))
    }
}

#[tokio::test]
async fn an_mcall_wrapper_sees_the_calls_and_each_call_goes_through_call_wrappers() {
    let log = Recorder::default();
    let broker = ServiceBroker::builder()
        .node_id("mw-mcall")
        .middleware(CallTracer::new("C", &log))
        .middleware(McallSpy(log.clone()))
        .service(Calc { log: log.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    log.take();
    let results = broker
        .mcall(MultiCall::list([
            CallDef::new("calc.double", json!({ "x": 1 })),
            CallDef::new("calc.missing", json!({})),
        ]))
        .await
        .unwrap();
    // Settled by the wrapper: the missing action is a rejected outcome, not an error.
    assert_eq!(results[0], json!({ "status": "fulfilled", "value": 2.0 }));
    assert_eq!(results[1]["status"], "rejected");
    let seen = log.take_strings();
    assert_eq!(seen[0], "mcall calc.double,calc.missing");
    assert!(seen.contains(&"C> calc.double".to_owned()), "{seen:?}");
    assert!(seen.contains(&"C> calc.missing".to_owned()), "{seen:?}");
    broker.stop().await.unwrap();
}

/// What an event wrapper does to the events it sees.
#[derive(Clone, Copy)]
enum EventEdit {
    /// Adds `"stamp": <name>` to an object payload.
    Stamp,
    /// Sends `calc.old` as `calc.new`.
    Rename,
    /// Swallows `calc.noisy`.
    Swallow,
}

/// Wraps one of `emit`, `broadcast`, `broadcast_local`; records `"<name> <event>"`.
struct EventTracer {
    name: &'static str,
    kind: EventType,
    edit: Option<EventEdit>,
    log: Recorder,
}

impl EventTracer {
    fn wrap(&self, next: EmitHandler) -> EmitHandler {
        let (name, edit, log) = (self.name, self.edit, self.log.clone());
        Arc::new(move |mut req: EmitRequest| {
            log.push(json!(format!("{name} {}", req.event)));
            match edit {
                Some(EventEdit::Stamp) => {
                    let mut payload = req.payload.to_json().unwrap_or(Value::Null);
                    if let Some(obj) = payload.as_object_mut() {
                        let stamps = obj.entry("stamp").or_insert_with(|| json!([]));
                        if let Some(list) = stamps.as_array_mut() {
                            list.push(json!(name));
                        }
                    }
                    req.payload = Payload::json(payload);
                }
                Some(EventEdit::Rename) if req.event == "calc.old" => {
                    req.event = "calc.new".to_owned();
                }
                Some(EventEdit::Swallow) if req.event == "calc.noisy" => {
                    return Box::pin(async { Ok(()) });
                }
                _ => {}
            }
            next(req)
        })
    }
}

impl Middleware for EventTracer {
    fn emit(&self, next: &EmitHandler) -> Option<EmitHandler> {
        let next = next.clone();
        if self.kind != EventType::Emit {
            return None;
        }
        Some(self.wrap(next))
    }
    fn broadcast(&self, next: &EmitHandler) -> Option<EmitHandler> {
        let next = next.clone();
        if self.kind != EventType::Broadcast {
            return None;
        }
        Some(self.wrap(next))
    }
    fn broadcast_local(&self, next: &EmitHandler) -> Option<EmitHandler> {
        let next = next.clone();
        if self.kind != EventType::BroadcastLocal {
            return None;
        }
        Some(self.wrap(next))
    }
}

#[tokio::test]
async fn event_wrappers_change_rename_or_swallow_events() {
    let (log, seen) = (Recorder::default(), Recorder::default());
    let tracer = |name, kind, edit| EventTracer {
        name,
        kind,
        edit,
        log: log.clone(),
    };
    let broker = ServiceBroker::builder()
        .node_id("mw-events")
        .middleware(tracer("E1", EventType::Emit, Some(EventEdit::Stamp)))
        .middleware(tracer("E2", EventType::Emit, Some(EventEdit::Stamp)))
        .middleware(tracer("B", EventType::Broadcast, Some(EventEdit::Rename)))
        .middleware(tracer(
            "L",
            EventType::BroadcastLocal,
            Some(EventEdit::Swallow),
        ))
        .service(Calc { log: seen.clone() })
        .build()
        .unwrap();
    broker.start().await.unwrap();
    // The internal events are local broadcasts: the broadcastLocal wrapper saw them.
    let started = log.take_strings();
    assert!(
        started.contains(&"L $broker.started".to_owned()),
        "{started:?}"
    );
    assert!(
        started.contains(&"L $services.changed".to_owned()),
        "{started:?}"
    );
    seen.take();

    // The payload changed by the emit wrappers reaches the handler changed; E2, added last,
    // runs first.
    broker.emit("calc.done", json!({ "n": 1 })).await.unwrap();
    assert_eq!(log.take_strings(), ["E2 calc.done", "E1 calc.done"]);
    assert_eq!(
        seen.take(),
        [json!({ "event": "calc.done", "payload": { "n": 1, "stamp": ["E2", "E1"] } })]
    );

    // The broadcast wrapper renames; the emit wrappers do not see broadcasts. As in Node,
    // the local part of a broadcast is a `broadcastLocal`, through its wrapper.
    broker
        .broadcast("calc.old", json!({ "n": 2 }))
        .await
        .unwrap();
    assert_eq!(log.take_strings(), ["B calc.old", "L calc.new"]);
    assert_eq!(
        seen.take(),
        [json!({ "event": "calc.new", "payload": { "n": 2 } })]
    );

    // The broadcastLocal wrapper swallows one event and lets the others through.
    broker
        .broadcast_local("calc.noisy", json!({ "n": 3 }))
        .await
        .unwrap();
    broker
        .broadcast_local("calc.quiet", json!({ "n": 4 }))
        .await
        .unwrap();
    assert_eq!(log.take_strings(), ["L calc.noisy", "L calc.quiet"]);
    assert_eq!(
        seen.take(),
        [json!({ "event": "calc.quiet", "payload": { "n": 4 } })]
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(seen.is_empty());
    broker.stop().await.unwrap();
}
