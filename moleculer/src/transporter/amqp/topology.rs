//! What each topic is on RabbitMQ, exactly as Node's `amqp.js` lays it out (reference §2.6),
//! and amqplib's mapping of its option objects to AMQP arguments, so that queues and
//! exchanges a Node node declares and those declared here are the same.

use lapin::BasicProperties;
use lapin::options::{BasicConsumeOptions, ExchangeDeclareOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongString, ShortString};
use serde_json::{Map, Value, json};

use super::AmqpOptions;
use crate::protocol::{PacketType, TopicTarget, Topics};

/// Where a subscribed topic's messages come from.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Route {
    /// A queue named the topic: targeted (`MOL.REQ.node-1`) or balanced (`MOL.REQB.math.add`,
    /// `MOL.EVENTB.users.user.created`). Several nodes consuming a balanced queue compete.
    Queue {
        /// The queue (the topic).
        queue: String,
        /// Its `assertQueue` options.
        options: Map<String, Value>,
        /// Whether each message is acknowledged once its work is over (requests, balanced
        /// events); the others are consumed without acknowledgement.
        acked: bool,
    },
    /// A fanout exchange named the topic (`MOL.INFO`), and this node's queue bound to it
    /// (`MOL.INFO.node-1`, the queue of the targeted topic of the same type).
    Broadcast {
        /// The exchange (the topic).
        exchange: String,
        /// This node's queue.
        queue: String,
        /// Its `assertQueue` options.
        options: Map<String, Value>,
    },
}

/// The kinds of queue with options of their own (`_getQueueOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueueKind {
    Request,
    BalancedRequest,
    Response,
    Event,
    Heartbeat,
    /// DISCOVER, DISCONNECT, INFO, PING, PONG.
    Internal,
}

impl Route {
    /// The route of `topic` for the node `node_id`; `None` for a topic of another
    /// namespace or of a packet that never travels over AMQP (gossip).
    pub(super) fn of(
        topics: &Topics,
        topic: &str,
        node_id: &str,
        options: &AmqpOptions,
    ) -> Option<Route> {
        let parsed = topics.parse(topic)?;
        let ty = parsed.packet_type;
        let queue = |kind| queue_options(options, kind);
        let kind = match ty {
            PacketType::Request => QueueKind::Request,
            PacketType::Response => QueueKind::Response,
            PacketType::Event => QueueKind::Event,
            PacketType::Heartbeat => QueueKind::Heartbeat,
            PacketType::Discover
            | PacketType::Disconnect
            | PacketType::Info
            | PacketType::Ping
            | PacketType::Pong => QueueKind::Internal,
            _ => return None,
        };
        Some(match parsed.target {
            TopicTarget::Broadcast => Route::Broadcast {
                exchange: topic.to_owned(),
                queue: topics.topic(ty, Some(node_id)),
                options: queue(kind),
            },
            TopicTarget::Node(_) => Route::Queue {
                queue: topic.to_owned(),
                options: queue(kind),
                acked: ty == PacketType::Request,
            },
            TopicTarget::Action(_) => Route::Queue {
                queue: topic.to_owned(),
                options: queue(QueueKind::BalancedRequest),
                acked: true,
            },
            TopicTarget::Group { .. } => Route::Queue {
                queue: topic.to_owned(),
                options: queue(QueueKind::Event),
                acked: true,
            },
        })
    }

    /// The queue consumed.
    pub(super) fn queue(&self) -> &str {
        match self {
            Route::Queue { queue, .. } | Route::Broadcast { queue, .. } => queue,
        }
    }
}

/// Node's `_getQueueOptions(type, balanced)`, `queueOptions` over it.
fn queue_options(options: &AmqpOptions, kind: QueueKind) -> Map<String, Value> {
    let expires = options.auto_delete_queues.map(|ms| json!(ms));
    let mut own = Map::new();
    match kind {
        QueueKind::Request | QueueKind::Response => {
            if let Some(expires) = expires {
                own.insert("expires".into(), expires);
            }
        }
        QueueKind::BalancedRequest => {}
        QueueKind::Event => {
            if let Some(expires) = expires {
                own.insert("expires".into(), expires);
            }
            if let Some(ttl) = options.event_time_to_live {
                own.insert("messageTtl".into(), json!(ttl));
            }
        }
        QueueKind::Heartbeat => {
            own.insert("autoDelete".into(), json!(true));
            if let Some(ttl) = options.heartbeat_time_to_live {
                own.insert("messageTtl".into(), json!(ttl));
            }
        }
        QueueKind::Internal => {
            own.insert("autoDelete".into(), json!(true));
        }
    }
    own.extend(options.queue_options.clone());
    own
}

/// amqplib's `assertQueue(name, options)` arguments.
pub(super) fn queue_declare(options: &Map<String, Value>) -> (QueueDeclareOptions, FieldTable) {
    let mut arguments = table(options.get("arguments"));
    for (key, argument) in [
        ("expires", "x-expires"),
        ("messageTtl", "x-message-ttl"),
        ("deadLetterExchange", "x-dead-letter-exchange"),
        ("deadLetterRoutingKey", "x-dead-letter-routing-key"),
        ("maxLength", "x-max-length"),
        ("maxPriority", "x-max-priority"),
        ("overflow", "x-overflow"),
        ("queueMode", "x-queue-mode"),
    ] {
        if let Some(value) = options.get(key).and_then(field_value) {
            arguments.insert(argument.into(), value);
        }
    }
    let declare = QueueDeclareOptions {
        durable: flag(options, "durable", true),
        exclusive: flag(options, "exclusive", false),
        auto_delete: flag(options, "autoDelete", false),
        ..QueueDeclareOptions::default()
    };
    (declare, arguments)
}

/// amqplib's `assertExchange(name, "fanout", options)` arguments.
pub(super) fn exchange_declare(
    options: &Map<String, Value>,
) -> (ExchangeDeclareOptions, FieldTable) {
    let mut arguments = table(options.get("arguments"));
    if let Some(value) = options.get("alternateExchange").and_then(field_value) {
        arguments.insert("alternate-exchange".into(), value);
    }
    let declare = ExchangeDeclareOptions {
        durable: flag(options, "durable", true),
        auto_delete: flag(options, "autoDelete", false),
        internal: flag(options, "internal", false),
        ..ExchangeDeclareOptions::default()
    };
    (declare, arguments)
}

/// amqplib's `consume(queue, cb, options)` arguments, `no_ack` for a queue whose messages
/// are not acknowledged or when `consumeOptions.noAck` asks for it.
pub(super) fn consume(
    options: &Map<String, Value>,
    acked: bool,
) -> (BasicConsumeOptions, FieldTable) {
    let mut arguments = table(options.get("arguments"));
    if let Some(value) = options.get("priority").and_then(field_value) {
        arguments.insert("x-priority".into(), value);
    }
    let consume = BasicConsumeOptions {
        no_local: flag(options, "noLocal", false),
        no_ack: !acked || flag(options, "noAck", false),
        exclusive: flag(options, "exclusive", false),
        ..BasicConsumeOptions::default()
    };
    (consume, arguments)
}

/// amqplib's `publish(…, options)` message properties.
pub(super) fn properties(options: &Map<String, Value>) -> BasicProperties {
    let text = |key: &str| {
        options.get(key).and_then(|v| match v {
            Value::String(s) => Some(ShortString::from(s.as_str())),
            Value::Number(n) => Some(ShortString::from(n.to_string())),
            _ => None,
        })
    };
    let mut properties = BasicProperties::default();
    // `persistent` wins over `deliveryMode`; a truthy non-number mode means persistent.
    let delivery_mode = match (options.get("persistent"), options.get("deliveryMode")) {
        (Some(Value::Bool(persistent)), _) => Some(if *persistent { 2 } else { 1 }),
        (_, Some(Value::Number(mode))) => mode.as_u64().and_then(|m| u8::try_from(m).ok()),
        (_, Some(Value::Bool(true))) => Some(2),
        _ => None,
    };
    if let Some(mode) = delivery_mode {
        properties = properties.with_delivery_mode(mode);
    }
    if let Some(priority) = options
        .get("priority")
        .and_then(Value::as_u64)
        .and_then(|p| u8::try_from(p).ok())
    {
        properties = properties.with_priority(priority);
    }
    if let Some(timestamp) = options.get("timestamp").and_then(Value::as_u64) {
        properties = properties.with_timestamp(timestamp);
    }
    if let Some(Value::Object(headers)) = options.get("headers") {
        properties = properties.with_headers(table(Some(&Value::Object(headers.clone()))));
    }
    for (key, set) in [
        (
            "expiration",
            BasicProperties::with_expiration as fn(_, _) -> _,
        ),
        ("userId", BasicProperties::with_user_id),
        ("contentType", BasicProperties::with_content_type),
        ("contentEncoding", BasicProperties::with_content_encoding),
        ("correlationId", BasicProperties::with_correlation_id),
        ("replyTo", BasicProperties::with_reply_to),
        ("messageId", BasicProperties::with_message_id),
        ("type", BasicProperties::with_type),
        ("appId", BasicProperties::with_app_id),
    ] {
        if let Some(value) = text(key) {
            properties = set(properties, value);
        }
    }
    properties
}

/// A boolean option, amqplib's `!!value` (or `true` when `durable` is left out).
fn flag(options: &Map<String, Value>, key: &str, default: bool) -> bool {
    match options.get(key) {
        None => default,
        Some(Value::Bool(b)) => *b,
        Some(Value::Null) => false,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// A JSON object as an AMQP table (anything else is an empty one).
fn table(value: Option<&Value>) -> FieldTable {
    let mut table = FieldTable::default();
    if let Some(Value::Object(object)) = value {
        for (key, value) in object {
            if let Some(value) = field_value(value) {
                table.insert(ShortString::from(key.as_str()), value);
            }
        }
    }
    table
}

/// A JSON value as amqplib encodes it in a table: integers as 32-bit ints when they fit
/// (RabbitMQ compares integer arguments by value, whatever their width), other numbers as
/// doubles; `null` is left out.
fn field_value(value: &Value) -> Option<AMQPValue> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => AMQPValue::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => match i32::try_from(i) {
                Ok(small) => AMQPValue::LongInt(small),
                Err(_) => AMQPValue::LongLongInt(i),
            },
            None => AMQPValue::Double(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => AMQPValue::LongString(LongString::from(s.as_str())),
        Value::Array(items) => AMQPValue::FieldArray(FieldArray::from(
            items.iter().filter_map(field_value).collect::<Vec<_>>(),
        )),
        Value::Object(_) => AMQPValue::FieldTable(table(Some(value))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(topic: &str, options: &AmqpOptions) -> Route {
        Route::of(&Topics::new(""), topic, "node-1", options).unwrap()
    }

    fn args(table: &FieldTable) -> Vec<(String, AMQPValue)> {
        table
            .inner()
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn queues_and_exchanges_are_named_and_shaped_as_nodes() {
        let defaults = AmqpOptions::default();
        let Route::Queue {
            queue,
            options,
            acked,
        } = route("MOL.REQ.node-1", &defaults)
        else {
            panic!("a targeted request goes to a queue")
        };
        assert_eq!((queue.as_str(), acked), ("MOL.REQ.node-1", true));
        let (declare, arguments) = queue_declare(&options);
        assert!(declare.durable && !declare.auto_delete && !declare.exclusive);
        assert_eq!(
            args(&arguments),
            [("x-expires".to_owned(), AMQPValue::LongInt(120_000))]
        );

        let Route::Queue { options, acked, .. } = route("MOL.REQB.math.add", &defaults) else {
            panic!("a balanced request goes to a queue")
        };
        assert!(acked);
        assert!(queue_declare(&options).1.inner().is_empty());

        let Route::Broadcast {
            exchange,
            queue,
            options,
        } = route("MOL.INFO", &defaults)
        else {
            panic!("INFO is broadcast")
        };
        assert_eq!(
            (exchange.as_str(), queue.as_str()),
            ("MOL.INFO", "MOL.INFO.node-1")
        );
        assert!(queue_declare(&options).0.auto_delete);
        assert_eq!(
            route("MOL.INFO.node-1", &defaults).queue(),
            "MOL.INFO.node-1"
        );

        let ttl = AmqpOptions {
            event_time_to_live: Some(5000),
            heartbeat_time_to_live: Some(3000),
            auto_delete_queues: None,
            ..AmqpOptions::default()
        };
        let Route::Queue { options, acked, .. } = route("MOL.EVENTB.users.user.created", &ttl)
        else {
            panic!("a balanced event goes to a queue")
        };
        assert!(acked);
        assert_eq!(
            args(&queue_declare(&options).1),
            [("x-message-ttl".to_owned(), AMQPValue::LongInt(5000))]
        );
        let Route::Queue { acked, .. } = route("MOL.EVENT.node-1", &ttl) else {
            panic!("a targeted event goes to a queue")
        };
        assert!(!acked);
        let Route::Broadcast { options, .. } = route("MOL.HEARTBEAT", &ttl) else {
            panic!("HEARTBEAT is broadcast")
        };
        let (declare, arguments) = queue_declare(&options);
        assert!(declare.auto_delete);
        assert_eq!(
            args(&arguments),
            [("x-message-ttl".to_owned(), AMQPValue::LongInt(3000))]
        );
        assert_eq!(
            Route::of(&Topics::new(""), "MOL.GOSSIP_REQ.n", "n", &ttl),
            None
        );
    }

    #[test]
    fn queue_options_go_over_each_queues_own() {
        let options = AmqpOptions {
            queue_options: json!({ "durable": false, "expires": 1000, "maxLength": 5 })
                .as_object()
                .unwrap()
                .clone(),
            ..AmqpOptions::default()
        };
        let Route::Queue { options, .. } = route("MOL.RES.node-1", &options) else {
            panic!("a response goes to a queue")
        };
        let (declare, arguments) = queue_declare(&options);
        assert!(!declare.durable);
        assert_eq!(
            args(&arguments),
            [
                ("x-expires".to_owned(), AMQPValue::LongInt(1000)),
                ("x-max-length".to_owned(), AMQPValue::LongInt(5)),
            ]
        );
    }

    #[test]
    fn message_and_consume_options_map_as_amqplib() {
        let message = json!({ "persistent": true, "expiration": 60000, "appId": "a" });
        let properties = properties(message.as_object().unwrap());
        assert_eq!(properties.delivery_mode(), &Some(2));
        assert_eq!(
            properties.expiration().as_ref().map(ShortString::as_str),
            Some("60000")
        );
        assert_eq!(
            properties.app_id().as_ref().map(ShortString::as_str),
            Some("a")
        );
        let consume_options = json!({ "priority": 3, "noAck": true });
        let (options, arguments) = consume(consume_options.as_object().unwrap(), true);
        assert!(options.no_ack);
        assert_eq!(
            args(&arguments),
            [("x-priority".to_owned(), AMQPValue::LongInt(3))]
        );
        assert!(!consume(&Map::new(), true).0.no_ack);
        assert!(consume(&Map::new(), false).0.no_ack);
    }
}
