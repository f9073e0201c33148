//! When the work a received message started is over: what a transporter that acknowledges
//! messages (AMQP) waits for before it acknowledges one (Node's promise returned by
//! `receive(cmd, data)`, which `amqp.js` acks once it settles).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

/// Travels with a received message, through the middlewares' receiving wrappers
/// ([`ReceivedMessage`](crate::middleware::ReceivedMessage),
/// [`ReceivedPacket`](crate::middleware::ReceivedPacket)), to the work the message starts (a
/// served request and its response, event handlers). Dropping it settles the message: the
/// work is over, or the message was dropped (it did not decode, a wrapper refused it, no
/// handler listens), or the work panicked. The transporter's [`Settled`] then resolves.
///
/// [`Settlement::default`] tells nobody: messages nobody acknowledges carry that one, at no
/// cost.
#[derive(Debug, Default)]
pub struct Settlement {
    /// Never sent on: its drop is the signal.
    _settles: Option<oneshot::Sender<()>>,
}

/// The transporter's end of a [`Settlement`]: resolves once the message is settled.
#[derive(Debug)]
pub struct Settled(oneshot::Receiver<()>);

impl Settlement {
    /// A settlement and the end that learns when it is dropped.
    pub fn new() -> (Settlement, Settled) {
        let (tx, rx) = oneshot::channel();
        (Settlement { _settles: Some(tx) }, Settled(rx))
    }
}

impl Settled {
    /// Whether the message is settled already (its work was over before it first waited):
    /// then nothing needs to wait for it.
    pub fn is_settled(&mut self) -> bool {
        !matches!(self.0.try_recv(), Err(oneshot::error::TryRecvError::Empty))
    }
}

impl Future for Settled {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Nothing is ever sent: the sender's drop is the signal.
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropping_the_settlement_settles() {
        let (settlement, mut settled) = Settlement::new();
        assert!(!settled.is_settled());
        let waiting = tokio::spawn(settled);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(settlement);
        waiting.await.unwrap();
        let (settlement, mut settled) = Settlement::new();
        drop(settlement);
        assert!(settled.is_settled());
    }
}
