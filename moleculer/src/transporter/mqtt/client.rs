//! rumqttc's MQTT 3.1.1 and MQTT 5 clients behind one face: the transporter subscribes,
//! publishes and reads events the same way with either.

use std::time::Duration;

use bytes::Bytes;

use super::MqttOptions;

/// Up to the largest packet MQTT allows: a node's INFO can be large, and mqtt.js sets no
/// limit.
const MAX_PACKET: usize = 268_435_455;

/// Requests the client may queue before `publish` waits.
const REQUESTS: usize = 1024;

/// A client of either protocol version.
pub(super) enum Client {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

/// The event loop of either protocol version.
pub(super) enum EventLoop {
    V4(Box<rumqttc::EventLoop>),
    V5(Box<rumqttc::v5::EventLoop>),
}

/// What the event loop gave, whichever the protocol version.
pub(super) enum Received {
    /// The broker accepted the connection.
    ConnAck,
    /// A message.
    Publish { topic: String, payload: Bytes },
    /// A subscription is in place.
    SubAck,
    /// Anything else (acknowledgements, pings, what the client sent).
    Other,
}

/// The client and its event loop for `options` (nothing is sent before the loop is polled).
///
/// # Errors
/// A TLS file that cannot be read or used.
pub(super) fn open(options: &MqttOptions) -> crate::error::Result<(Client, EventLoop)> {
    let transport = transport(options)?;
    let id = options.client_id.clone().unwrap_or_else(|| {
        // mqtt.js' default: `mqttjs_` and 8 random hex digits.
        format!("mqttjs_{:08x}", fastrand::u32(..))
    });
    let keep_alive = options.keep_alive.max(Duration::from_secs(5));
    if options.protocol_version == 5 {
        let mut o = rumqttc::v5::MqttOptions::new(id, &options.host, options.port);
        o.set_keep_alive(keep_alive)
            .set_clean_start(true)
            .set_max_packet_size(Some(MAX_PACKET as u32))
            .set_connection_timeout(options.connect_timeout.as_secs().max(1));
        if let Some((user, pass)) = &options.credentials {
            o.set_credentials(user, pass);
        }
        o.set_transport(transport);
        let (client, events) = rumqttc::v5::AsyncClient::new(o, REQUESTS);
        Ok((Client::V5(client), EventLoop::V5(Box::new(events))))
    } else {
        let mut o = rumqttc::MqttOptions::new(id, &options.host, options.port);
        o.set_keep_alive(keep_alive)
            .set_clean_session(true)
            .set_max_packet_size(MAX_PACKET, MAX_PACKET);
        if let Some((user, pass)) = &options.credentials {
            o.set_credentials(user, pass);
        }
        o.set_transport(transport);
        let (client, events) = rumqttc::AsyncClient::new(o, REQUESTS);
        Ok((Client::V4(client), EventLoop::V4(Box::new(events))))
    }
}

/// Plain TCP, or TLS with the options' certificates.
#[cfg(feature = "mqtt-tls")]
fn transport(options: &MqttOptions) -> crate::error::Result<rumqttc::Transport> {
    match &options.tls {
        None => Ok(rumqttc::Transport::tcp()),
        Some(tls) => {
            let cert_and_key = tls.cert_file.as_deref().zip(tls.key_file.as_deref());
            let config =
                crate::transporter::tls_files::client_config(tls.ca_file.as_deref(), cert_and_key)?;
            Ok(rumqttc::Transport::tls_with_config(
                rumqttc::TlsConfiguration::Rustls(std::sync::Arc::new(config)),
            ))
        }
    }
}

#[cfg(not(feature = "mqtt-tls"))]
fn transport(_options: &MqttOptions) -> crate::error::Result<rumqttc::Transport> {
    Ok(rumqttc::Transport::tcp())
}

fn qos4(qos: u8) -> rumqttc::QoS {
    match qos {
        2 => rumqttc::QoS::ExactlyOnce,
        1 => rumqttc::QoS::AtLeastOnce,
        _ => rumqttc::QoS::AtMostOnce,
    }
}

fn qos5(qos: u8) -> rumqttc::v5::mqttbytes::QoS {
    match qos {
        2 => rumqttc::v5::mqttbytes::QoS::ExactlyOnce,
        1 => rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
        _ => rumqttc::v5::mqttbytes::QoS::AtMostOnce,
    }
}

impl Client {
    pub(super) async fn subscribe(&self, topic: String, qos: u8) -> Result<(), String> {
        match self {
            Client::V4(c) => c
                .subscribe(topic, qos4(qos))
                .await
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .subscribe(topic, qos5(qos))
                .await
                .map_err(|e| e.to_string()),
        }
    }

    pub(super) async fn unsubscribe(&self, topic: String) -> Result<(), String> {
        match self {
            Client::V4(c) => c.unsubscribe(topic).await.map_err(|e| e.to_string()),
            Client::V5(c) => c.unsubscribe(topic).await.map_err(|e| e.to_string()),
        }
    }

    pub(super) async fn publish(
        &self,
        topic: String,
        qos: u8,
        payload: Bytes,
    ) -> Result<(), String> {
        match self {
            Client::V4(c) => c
                .publish_bytes(topic, qos4(qos), false, payload)
                .await
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .publish_bytes(topic, qos5(qos), false, payload)
                .await
                .map_err(|e| e.to_string()),
        }
    }

    pub(super) async fn disconnect(&self) -> Result<(), String> {
        match self {
            Client::V4(c) => c.disconnect().await.map_err(|e| e.to_string()),
            Client::V5(c) => c.disconnect().await.map_err(|e| e.to_string()),
        }
    }
}

impl EventLoop {
    /// The next event; an error is a lost (or refused) connection, and the next poll
    /// connects again.
    pub(super) async fn poll(&mut self) -> Result<Received, String> {
        match self {
            EventLoop::V4(events) => {
                use rumqttc::{Event, Packet};
                match events.poll().await.map_err(|e| e.to_string())? {
                    Event::Incoming(Packet::ConnAck(_)) => Ok(Received::ConnAck),
                    Event::Incoming(Packet::Publish(p)) => Ok(Received::Publish {
                        topic: p.topic,
                        payload: p.payload,
                    }),
                    Event::Incoming(Packet::SubAck(_)) => Ok(Received::SubAck),
                    _ => Ok(Received::Other),
                }
            }
            EventLoop::V5(events) => {
                use rumqttc::v5::Event;
                use rumqttc::v5::mqttbytes::v5::Packet;
                match events.poll().await.map_err(|e| e.to_string())? {
                    Event::Incoming(Packet::ConnAck(_)) => Ok(Received::ConnAck),
                    Event::Incoming(Packet::Publish(p)) => Ok(Received::Publish {
                        topic: String::from_utf8_lossy(&p.topic).into_owned(),
                        payload: p.payload,
                    }),
                    Event::Incoming(Packet::SubAck(_)) => Ok(Received::SubAck),
                    _ => Ok(Received::Other),
                }
            }
        }
    }
}
