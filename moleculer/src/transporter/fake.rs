//! Node's `Fake` transporter (reference §2.10): an in-process bus shared by the brokers of
//! one process, with its own balancer (queue groups).

use bytes::Bytes;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use tokio::sync::mpsc::UnboundedSender;

use super::{Incoming, IncomingSink, Transporter};
use crate::error::{Error, Result};
use crate::service::BoxFuture;

/// An in-process message bus. Cloning is cheap and gives a handle to the same bus.
///
/// [`FakeBus::new`] makes an isolated bus (one cluster per test); [`FakeBus::global`] is the
/// process-wide bus the `"Fake"` transporter option uses, like Node's global EventEmitter.
/// Delivery never blocks (unbounded channels); a topic without subscribers drops the
/// message, and subscribers whose receiver is gone are removed.
#[derive(Clone, Default)]
pub struct FakeBus {
    inner: Arc<Mutex<BusState>>,
}

#[derive(Default)]
struct BusState {
    topics: HashMap<String, TopicSubs>,
}

#[derive(Default)]
struct TopicSubs {
    plain: Vec<Subscriber>,
    groups: HashMap<String, Group>,
}

#[derive(Default)]
struct Group {
    members: Vec<Subscriber>,
    next: usize,
}

struct Subscriber {
    owner: u64,
    tx: UnboundedSender<Incoming>,
}

impl TopicSubs {
    fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.groups.is_empty()
    }

    fn remove_owner(&mut self, owner: u64) {
        self.plain.retain(|s| s.owner != owner);
        for group in self.groups.values_mut() {
            group.members.retain(|s| s.owner != owner);
        }
        self.groups.retain(|_, g| !g.members.is_empty());
    }
}

impl FakeBus {
    /// A new, isolated bus.
    pub fn new() -> FakeBus {
        FakeBus::default()
    }

    /// The process-wide bus used by the `"Fake"` transporter option.
    pub fn global() -> FakeBus {
        static GLOBAL: OnceLock<FakeBus> = OnceLock::new();
        GLOBAL.get_or_init(FakeBus::new).clone()
    }

    /// How many subscriptions (plain and queue-group members) the bus holds for `topic`.
    pub fn subscriber_count(&self, topic: &str) -> usize {
        self.inner.lock().topics.get(topic).map_or(0, |subs| {
            subs.plain.len() + subs.groups.values().map(|g| g.members.len()).sum::<usize>()
        })
    }

    fn subscribe(
        &self,
        topic: &str,
        group: Option<&str>,
        owner: u64,
        tx: UnboundedSender<Incoming>,
    ) {
        let mut state = self.inner.lock();
        let subs = state.topics.entry(topic.to_owned()).or_default();
        let sub = Subscriber { owner, tx };
        match group {
            Some(group) => subs
                .groups
                .entry(group.to_owned())
                .or_default()
                .members
                .push(sub),
            None => subs.plain.push(sub),
        }
    }

    fn unsubscribe(&self, topic: &str, owner: u64) {
        let mut state = self.inner.lock();
        if let Some(subs) = state.topics.get_mut(topic) {
            subs.remove_owner(owner);
            if subs.is_empty() {
                state.topics.remove(topic);
            }
        }
    }

    fn remove_owner(&self, owner: u64) {
        let mut state = self.inner.lock();
        for subs in state.topics.values_mut() {
            subs.remove_owner(owner);
        }
        state.topics.retain(|_, subs| !subs.is_empty());
    }

    /// Delivers to every plain subscriber and to one member (round-robin) of each group.
    fn publish(&self, topic: &str, payload: Bytes) {
        let mut state = self.inner.lock();
        let Some(subs) = state.topics.get_mut(topic) else {
            return;
        };
        let message = || Incoming {
            topic: topic.to_owned(),
            payload: payload.clone(),
        };
        subs.plain.retain(|s| s.tx.send(message()).is_ok());
        for group in subs.groups.values_mut() {
            // Try members in round-robin order until a live one takes the message.
            while !group.members.is_empty() {
                let index = group.next % group.members.len();
                if group.members[index].tx.send(message()).is_ok() {
                    group.next = index + 1;
                    break;
                }
                group.members.remove(index);
                group.next = index;
            }
        }
        subs.groups.retain(|_, g| !g.members.is_empty());
        if subs.is_empty() {
            state.topics.remove(topic);
        }
    }
}

impl fmt::Debug for FakeBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let topics = self.inner.lock().topics.len();
        f.debug_struct("FakeBus").field("topics", &topics).finish()
    }
}

/// Node's `Fake` transporter: publishes on a [`FakeBus`]; it balances queue groups itself.
#[derive(Debug)]
pub struct FakeTransporter {
    bus: FakeBus,
    id: u64,
    incoming: Mutex<Option<UnboundedSender<Incoming>>>,
}

impl FakeTransporter {
    /// A transporter on `bus` (use [`FakeBus::global`] to join the process-wide cluster).
    pub fn new(bus: FakeBus) -> FakeTransporter {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        FakeTransporter {
            bus,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            incoming: Mutex::new(None),
        }
    }

    /// The bus this transporter publishes on.
    pub fn bus(&self) -> &FakeBus {
        &self.bus
    }

    fn sender(&self) -> Result<UnboundedSender<Incoming>> {
        self.incoming
            .lock()
            .clone()
            .ok_or_else(Error::broker_disconnected)
    }

    fn sub(&self, topic: &str, group: Option<&str>) -> Result<()> {
        let tx = self.sender()?;
        self.bus.subscribe(topic, group, self.id, tx);
        Ok(())
    }
}

impl Default for FakeTransporter {
    /// A transporter on the global bus, as the `"Fake"` option makes.
    fn default() -> Self {
        FakeTransporter::new(FakeBus::global())
    }
}

impl Transporter for FakeTransporter {
    fn name(&self) -> &'static str {
        "Fake"
    }

    fn connect(&self, incoming: IncomingSink) -> BoxFuture<'_, Result<()>> {
        // The bus queues each subscriber's messages; a task per connection hands them to the
        // sink, so a publisher never runs the receiver's code on its own stack.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Incoming>();
        tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                if !incoming.deliver(&msg.topic, msg.payload).await {
                    break;
                }
            }
        });
        *self.incoming.lock() = Some(tx);
        Box::pin(async { Ok(()) })
    }

    fn disconnect(&self) -> BoxFuture<'_, Result<()>> {
        *self.incoming.lock() = None;
        self.bus.remove_owner(self.id);
        Box::pin(async { Ok(()) })
    }

    fn subscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>> {
        let result = self.sub(topic, None);
        Box::pin(async move { result })
    }

    fn subscribe_balanced(&self, topic: &str, group: &str) -> BoxFuture<'_, Result<()>> {
        let result = self.sub(topic, Some(group));
        Box::pin(async move { result })
    }

    fn unsubscribe(&self, topic: &str) -> BoxFuture<'_, Result<()>> {
        self.bus.unsubscribe(topic, self.id);
        Box::pin(async { Ok(()) })
    }

    fn publish<'a>(&'a self, topic: &'a str, payload: Bytes) -> BoxFuture<'a, Result<()>> {
        let result = self.sender().map(|_| self.bus.publish(topic, payload));
        Box::pin(async move { result })
    }

    fn has_built_in_balancer(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests;
