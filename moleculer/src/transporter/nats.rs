//! Node's `NATS` transporter (reference §2.3) on the async-nats client.
//!
//! Each subscription has a task of its own that hands every message to the broker's sink
//! ([`IncomingSink::deliver`]). Balanced
//! subscriptions are NATS queue subscriptions (queue = the group), so NATS picks one member.
//! After a lost connection async-nats reconnects forever and **resubscribes every live
//! subscription itself**, so the subscriptions (and their forwarding tasks) survive a
//! server restart without any work here; the broker is told of the reconnect
//! ([`ConnectionEvent::Reconnected`]) and sends its INFO again.

mod options;

use std::fmt;
use std::sync::Arc;

use async_nats::connection::State;
use async_nats::{Client, ConnectOptions, Event};
use futures_util::StreamExt;
use parking_lot::Mutex;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

pub use options::{NatsOptions, NatsTls};

use std::sync::atomic::Ordering;

use super::{ConnectionEvent, IncomingSink, Transporter};
use crate::error::{Error, Result};
use crate::service::BoxFuture;

/// The NATS transporter; it balances `REQB`/`EVENTB` itself with queue groups.
pub struct NatsTransporter {
    options: NatsOptions,
    state: Mutex<Option<Connected>>,
}

struct Connected {
    /// Shared, so that publishing takes a reference count rather than a clone of the client
    /// (which clones its channel sender).
    client: Arc<Client>,
    /// Becomes `true` when the client has closed (a drain is complete: what was published
    /// before it is written).
    closed: watch::Receiver<bool>,
    incoming: IncomingSink,
    subscriptions: Vec<Subscription>,
}

impl Connected {
    /// Drains the connection (what is in flight is delivered, the subscriptions and the
    /// connection close; the forwarding tasks end with their streams) and waits until the
    /// client has closed, so that what was published before (a `DISCONNECT`, the last
    /// responses) is written before the process may exit. Bounded by [`CLOSE_TIMEOUT`].
    async fn close(mut self) -> Result<()> {
        self.client
            .drain()
            .await
            .map_err(|err| client_error("drain", "*", err))?;
        let closed = tokio::time::timeout(CLOSE_TIMEOUT, self.closed.wait_for(|closed| *closed));
        if closed.await.is_err() {
            tracing::warn!("the NATS connection did not close in time after draining");
        }
        Ok(())
    }
}

/// How long closing may wait for the NATS client to finish its drain.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A forwarding task; dropping or firing `stop` makes it unsubscribe and end.
struct Subscription {
    topic: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl NatsTransporter {
    /// A transporter that connects with `options` on [`connect`](Transporter::connect).
    pub fn new(options: NatsOptions) -> NatsTransporter {
        NatsTransporter {
            options,
            state: Mutex::new(None),
        }
    }

    /// The options it connects with.
    pub fn options(&self) -> &NatsOptions {
        &self.options
    }

    fn client(&self) -> Result<(Arc<Client>, IncomingSink)> {
        let state = self.state.lock();
        let connected = state.as_ref().ok_or_else(Error::broker_disconnected)?;
        Ok((connected.client.clone(), connected.incoming.clone()))
    }

    /// The client, to publish with.
    fn publisher(&self) -> Result<Arc<Client>> {
        let state = self.state.lock();
        let connected = state.as_ref().ok_or_else(Error::broker_disconnected)?;
        Ok(connected.client.clone())
    }

    fn servers(&self) -> Vec<String> {
        let servers: Vec<String> = self
            .options
            .url
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if servers.is_empty() {
            vec![NatsOptions::DEFAULT_URL.to_owned()]
        } else {
            servers
        }
    }

    /// The client's settings from the transporter's options; `closed` is told when the
    /// client closes.
    ///
    /// # Errors
    /// A credentials file that cannot be read.
    fn connect_options(
        &self,
        name: String,
        closed: watch::Sender<bool>,
        incoming: &IncomingSink,
    ) -> Result<ConnectOptions> {
        let options = &self.options;
        let closed = Arc::new(closed);
        let incoming = incoming.clone();
        // async-nats reports `Connected` for the first connection too: a reconnect is one
        // that follows a `Disconnected`.
        let lost = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut connect = ConnectOptions::new()
            .name(name)
            .max_reconnects(options.max_reconnect_attempts)
            .event_callback(move |event| {
                match &event {
                    Event::Closed => {
                        closed.send_replace(true);
                    }
                    Event::Disconnected => lost.store(true, Ordering::Release),
                    Event::Connected if lost.swap(false, Ordering::AcqRel) => {
                        incoming.report(ConnectionEvent::Reconnected);
                    }
                    Event::ServerError(err) => incoming.report(ConnectionEvent::Error {
                        error: client_error("connection", "*", err),
                        kind: "clientError",
                    }),
                    Event::ClientError(err) => incoming.report(ConnectionEvent::Error {
                        error: client_error("connection", "*", err),
                        kind: "clientError",
                    }),
                    _ => {}
                }
                async move { log_event(&event) }
            });
        // `user`/`pass` from the options, else from a server URL (`nats://user:pass@host`, as
        // Node's transporter reads them; the client itself ignores credentials in URLs).
        let from_url = || {
            self.servers().iter().find_map(|url| {
                let addr = url.parse::<async_nats::ServerAddr>().ok()?;
                let user = addr.username()?.to_owned();
                Some((user, addr.password().unwrap_or_default().to_owned()))
            })
        };
        if let Some((user, pass)) = options.user_and_password.clone().or_else(from_url) {
            connect = connect.user_and_password(user, pass);
        }
        if let Some(token) = &options.token {
            connect = connect.token(token.clone());
        }
        if let Some(wait) = options.reconnect_time_wait {
            connect = connect.reconnect_delay_callback(move |_attempts| wait);
        }
        if let Some(interval) = options.ping_interval {
            connect = connect.ping_interval(interval);
        }
        if let Some(timeout) = options.connect_timeout {
            connect = connect.connection_timeout(timeout);
        }
        if options.no_randomize {
            connect = connect.retain_servers_order();
        }
        if options.no_echo {
            connect = connect.no_echo();
        }
        if let Some(seed) = &options.nkey {
            connect = connect.nkey(seed.clone());
        }
        if let Some(path) = &options.credentials {
            let bad = |err: std::io::Error| {
                Error::broker_options(
                    format!("the NATS credentials file `{}`: {err}", path.display()),
                    Some(serde_json::json!({ "option": "transporter.options.credentials" })),
                )
            };
            let text = std::fs::read_to_string(path).map_err(bad)?;
            connect = connect.credentials(&text).map_err(bad)?;
        }
        if let Some(tls) = &options.tls {
            connect = connect.require_tls(true);
            if let Some(ca) = &tls.ca_file {
                connect = connect.add_root_certificates(ca.clone());
            }
            if let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) {
                connect = connect.add_client_certificate(cert.clone(), key.clone());
            }
        }
        Ok(connect)
    }

    async fn open(&self, incoming: &IncomingSink) -> Result<(Client, watch::Receiver<bool>)> {
        let servers = self.servers();
        loop {
            let name = self
                .options
                .name
                .clone()
                .unwrap_or_else(|| format!("moleculer-rs-{}", std::process::id()));
            let (closed_tx, closed) = watch::channel(false);
            let attempt = self
                .connect_options(name, closed_tx, incoming)?
                .connect(servers.clone())
                .await;
            match attempt {
                Ok(client) => {
                    tracing::info!(url = %without_password(&self.options.url), "NATS client is connected");
                    return Ok((client, closed));
                }
                Err(err) if self.options.reconnect => {
                    tracing::warn!(
                        url = %without_password(&self.options.url),
                        error = %err,
                        "could not connect to NATS, retrying in {:?}",
                        self.options.retry_interval
                    );
                    tokio::time::sleep(self.options.retry_interval).await;
                }
                Err(err) => {
                    return Err(Error::broker_disconnected().with_data(serde_json::json!({
                        "url": without_password(&self.options.url),
                        "error": err.to_string(),
                    })));
                }
            }
        }
    }

    /// Subscribes to `topic`; a balanced event topic ending in a `**` pattern becomes a NATS
    /// `>` wildcard, as Node's transporter does.
    async fn add(&self, topic: &str, group: Option<&str>) -> Result<()> {
        let (client, incoming) = self.client()?;
        let subject = match topic.find("**") {
            Some(at) if group.is_some() => format!("{}>", &topic[..at]),
            _ => topic.to_owned(),
        };
        let subscriber = match group {
            Some(group) => client.queue_subscribe(subject, group.to_owned()).await,
            None => client.subscribe(subject).await,
        }
        .map_err(|err| client_error("subscribe", topic, err))?;
        // Make the subscription effective on the server before returning.
        sync(&client, topic).await?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(forward(subscriber, stopped, incoming));
        let subscription = Subscription {
            topic: topic.to_owned(),
            stop,
            task,
        };
        match self.state.lock().as_mut() {
            Some(connected) => connected.subscriptions.push(subscription),
            // Disconnected meanwhile: dropping `stop` ends the task.
            None => return Err(Error::broker_disconnected()),
        }
        Ok(())
    }

    async fn remove(&self, topic: &str) -> Result<()> {
        let (client, removed) = {
            let mut state = self.state.lock();
            let Some(connected) = state.as_mut() else {
                return Ok(());
            };
            let (removed, kept) = std::mem::take(&mut connected.subscriptions)
                .into_iter()
                .partition(|s| s.topic == topic);
            connected.subscriptions = kept;
            (connected.client.clone(), removed)
        };
        let removed: Vec<Subscription> = removed;
        for subscription in removed {
            // The task may already be gone (stream ended); then there is nothing to stop.
            let _ = subscription.stop.send(());
            if let Err(err) = subscription.task.await {
                tracing::debug!(error = %err, topic, "NATS forwarding task failed");
            }
        }
        sync(&client, topic).await
    }
}

/// Waits until the server has processed everything this client sent before (Node's
/// `client.flush()`): async-nats' `flush` only writes the socket, so a message published
/// by another connection right after could still miss a fresh subscription. A message to a
/// private inbox comes back only after the server has handled the earlier SUB/UNSUB.
/// While the server is unreachable this gives up after a few seconds with a warning: the
/// subscriptions are then sent on reconnect.
async fn sync(client: &Client, topic: &str) -> Result<()> {
    let inbox = client.new_inbox();
    let mut probe = client
        .subscribe(inbox.clone())
        .await
        .map_err(|err| client_error("subscribe", &inbox, err))?;
    client
        .publish(inbox.clone(), bytes::Bytes::new())
        .await
        .map_err(|err| client_error("publish", &inbox, err))?;
    if tokio::time::timeout(SYNC_TIMEOUT, probe.next())
        .await
        .is_err()
    {
        tracing::warn!(
            topic,
            "NATS server did not confirm the subscription change in time"
        );
    }
    if let Err(err) = probe.unsubscribe().await {
        tracing::debug!(error = %err, "NATS unsubscribe failed");
    }
    Ok(())
}

/// How long [`sync`] waits for the server.
const SYNC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Forwards one subscription's messages until stopped, the stream ends or `incoming` closes.
async fn forward(
    mut subscriber: async_nats::Subscriber,
    mut stop: oneshot::Receiver<()>,
    incoming: IncomingSink,
) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            message = subscriber.next() => {
                let Some(message) = message else { return };
                if !incoming.deliver(&message.subject, message.payload).await {
                    break;
                }
            }
        }
    }
    if let Err(err) = subscriber.unsubscribe().await {
        tracing::debug!(error = %err, "NATS unsubscribe failed");
    }
}

/// The server URLs with their passwords masked, for logs and errors.
fn without_password(urls: &str) -> String {
    urls.split(',')
        .map(super::without_password)
        .collect::<Vec<_>>()
        .join(",")
}

fn log_event(event: &Event) {
    match event {
        Event::Connected => tracing::info!("NATS client is reconnected"),
        Event::Disconnected => tracing::warn!("NATS client is disconnected"),
        Event::ServerError(_) | Event::ClientError(_) | Event::SlowConsumer(_) => {
            tracing::error!(%event, "NATS error");
        }
        other => tracing::debug!(event = %other, "NATS event"),
    }
}

fn client_error(what: &str, topic: &str, err: impl fmt::Display) -> Error {
    Error::server(format!("NATS {what} on `{topic}` failed: {err}")).with_type("NATS_ERROR")
}

impl fmt::Debug for NatsTransporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("NatsTransporter")
            .field("options", &self.options)
            .field("connected", &state.is_some())
            .field(
                "subscriptions",
                &state.as_ref().map_or(0, |c| c.subscriptions.len()),
            )
            .finish()
    }
}

impl Transporter for NatsTransporter {
    fn name(&self) -> &'static str {
        "NATS"
    }

    fn connect(&self, incoming: IncomingSink) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let (client, closed) = self.open(&incoming).await?;
            let previous = self.state.lock().replace(Connected {
                client: Arc::new(client),
                closed,
                incoming,
                subscriptions: Vec::new(),
            });
            if let Some(previous) = previous {
                // Connecting twice replaces the old connection; its tasks end with it.
                if let Err(err) = previous.close().await {
                    tracing::debug!(error = %err, "closing the previous NATS connection failed");
                }
            }
            Ok(())
        })
    }

    fn disconnect(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let Some(connected) = self.state.lock().take() else {
                return Ok(());
            };
            connected.close().await
        })
    }

    fn subscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>> {
        let topic = topic.to_owned();
        Box::pin(async move { self.add(&topic, None).await })
    }

    fn subscribe_balanced(&self, topic: &str, group: &str) -> BoxFuture<'_, Result<()>> {
        let (topic, group) = (topic.to_owned(), group.to_owned());
        Box::pin(async move { self.add(&topic, Some(&group)).await })
    }

    fn unsubscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>> {
        let topic = topic.to_owned();
        Box::pin(async move { self.remove(&topic).await })
    }

    fn publish<'a>(&'a self, topic: &'a str, payload: bytes::Bytes) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let client = match self.publisher() {
                Ok(client) if client.connection_state() != State::Disconnected => client,
                // Failing fast still counts against the task's budget: a caller that retries
                // in a loop yields now and then, so the client's reconnect gets to run.
                Ok(_) | Err(_) => {
                    tokio::task::coop::consume_budget().await;
                    return Err(Error::broker_disconnected());
                }
            };
            // No flush per message: async-nats batches writes and flushes them itself.
            client
                .publish(async_nats::Subject::from(topic), payload)
                .await
                .map_err(|err| client_error("publish", topic, err))
        })
    }

    fn has_built_in_balancer(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_masked_in_logs() {
        assert_eq!(
            super::without_password("nats://u:p@h:1,nats://h2:2,tls://t@h3/x"),
            "nats://u:***@h:1,nats://h2:2,tls://t:***@h3/x"
        );
    }
}
