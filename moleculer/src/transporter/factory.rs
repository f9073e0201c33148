//! Resolving the `transporter` option to a transporter (Node's `transporters/index.js`).

use super::{FakeBus, FakeTransporter, Transporter};
use crate::error::{Error, Result};
use crate::options::{PluginKind, TransporterKind, TransporterOption};

/// Builds the transporter the option selects: `"Fake"` (on [`FakeBus::global`]), and with
/// the `nats` feature `"NATS"`, `"nats://host:port"` or `{type: "NATS", options: {url}}`,
/// and `"TCP"`, `"tcp://host:port/nodeID,…"` or `{type: "TCP", options}`.
/// Kinds not built yet (AMQP 1.0, Kafka, STAN) fail with a
/// `BrokerOptionsError`.
pub fn from_option(opt: &TransporterOption) -> Result<Box<dyn Transporter>> {
    match opt.kind() {
        TransporterKind::Fake => Ok(Box::new(FakeTransporter::new(FakeBus::global()))),
        TransporterKind::Nats => nats(opt),
        TransporterKind::Redis => redis(opt),
        TransporterKind::Mqtt => mqtt(opt),
        TransporterKind::Amqp => amqp(opt),
        TransporterKind::Tcp => Ok(Box::new(super::TcpTransporter::new(
            super::TcpOptions::from_option(opt)?,
        ))),
        kind => Err(Error::broker_options(
            format!(
                "the {} transporter is not available yet in the Rust broker (available: Fake, NATS, TCP, Redis, MQTT, AMQP)",
                kind.name()
            ),
            Some(serde_json::json!({ "type": kind.name() })),
        )),
    }
}

#[cfg(feature = "nats")]
fn nats(opt: &TransporterOption) -> Result<Box<dyn Transporter>> {
    let options = super::NatsOptions::from_option(opt)?;
    Ok(Box::new(super::NatsTransporter::new(options)))
}

#[cfg(not(feature = "nats"))]
fn nats(_opt: &TransporterOption) -> Result<Box<dyn Transporter>> {
    Err(Error::broker_options(
        "the NATS transporter needs the `nats` feature of the moleculer crate",
        Some(serde_json::json!({ "type": "NATS" })),
    ))
}

#[cfg(feature = "mqtt")]
fn mqtt(opt: &TransporterOption) -> Result<Box<dyn Transporter>> {
    let options = super::MqttOptions::from_option(opt)?;
    Ok(Box::new(super::MqttTransporter::new(options)))
}

#[cfg(not(feature = "mqtt"))]
fn mqtt(_opt: &TransporterOption) -> Result<Box<dyn Transporter>> {
    Err(Error::broker_options(
        "the MQTT transporter needs the `mqtt` feature of the moleculer crate",
        Some(serde_json::json!({ "type": "MQTT" })),
    ))
}

#[cfg(feature = "amqp")]
fn amqp(opt: &TransporterOption) -> Result<Box<dyn Transporter>> {
    let options = super::AmqpOptions::from_option(opt)?;
    Ok(Box::new(super::AmqpTransporter::new(options)))
}

#[cfg(not(feature = "amqp"))]
fn amqp(_opt: &TransporterOption) -> Result<Box<dyn Transporter>> {
    Err(Error::broker_options(
        "the AMQP transporter needs the `amqp` feature of the moleculer crate",
        Some(serde_json::json!({ "type": "AMQP" })),
    ))
}

#[cfg(feature = "redis")]
fn redis(opt: &TransporterOption) -> Result<Box<dyn Transporter>> {
    let options = super::RedisOptions::from_option(opt)?;
    Ok(Box::new(super::RedisTransporter::new(options)))
}

#[cfg(not(feature = "redis"))]
fn redis(_opt: &TransporterOption) -> Result<Box<dyn Transporter>> {
    Err(Error::broker_options(
        "the Redis transporter needs the `redis` feature of the moleculer crate",
        Some(serde_json::json!({ "type": "Redis" })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::options::PluginOption;

    #[test]
    fn fake_and_nats_resolve() {
        let fake = from_option(&PluginOption::Name(TransporterKind::Fake)).unwrap();
        assert_eq!(fake.name(), "Fake");
        assert!(fake.has_built_in_balancer());
        #[cfg(feature = "nats")]
        {
            let url = PluginOption::Url {
                kind: TransporterKind::Nats,
                url: "nats://127.0.0.1:4222".to_owned(),
            };
            assert_eq!(from_option(&url).unwrap().name(), "NATS");
        }
    }

    #[test]
    fn unbuilt_kinds_are_options_errors() {
        for kind in [TransporterKind::Amqp10, TransporterKind::Kafka] {
            let err = from_option(&PluginOption::Name(kind)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokerOptions);
            assert!(
                err.message().contains("not available yet"),
                "{}",
                err.message()
            );
        }
    }
}
