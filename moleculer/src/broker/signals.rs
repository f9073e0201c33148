//! Process signals: the SIGINT/SIGTERM listeners of `run()`, and the ones `start()`
//! registers unless `skipProcessEventRegistration` is set (Node's `_closeFn`, which stops the
//! broker and ends the process; `stop()` removes them).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;
use tokio::task::JoinHandle;

use super::ServiceBroker;

/// The brokers of this process whose `start()` registered listeners, by instance ID: the
/// listening task, or `None` once its signal came and it is stopping the broker.
static REGISTERED: LazyLock<Mutex<HashMap<String, Option<JoinHandle<()>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Registers the listeners of `broker`, as its start begins (a signal that comes while its
/// services start is not lost to the default action): on SIGINT or SIGTERM it stops
/// gracefully once started, and once every broker so registered has stopped, the process
/// exits with code 0 (Node's `process.exit(0)` after `stop()`).
pub(super) fn register(broker: &ServiceBroker) {
    let Some(mut signals) = ShutdownSignals::try_install() else {
        tracing::warn!("could not listen to SIGINT/SIGTERM: the broker will not stop on them");
        return;
    };
    let key = broker.instance_id().to_owned();
    let weak = Arc::downgrade(&broker.inner);
    let mut registered = REGISTERED.lock();
    let task_key = key.clone();
    let task = tokio::spawn(async move {
        signals.next().await;
        // From now on `stop()` removes the entry without cancelling this task.
        if let Some(slot) = REGISTERED.lock().get_mut(&task_key) {
            slot.take();
        }
        let Some(inner) = weak.upgrade() else {
            return;
        };
        // A signal while the services start stops the broker once they have.
        while *inner.state.lock() == super::BrokerState::Starting {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tracing::info!("shutdown signal received, stopping the broker");
        if let Err(err) = (ServiceBroker { inner }).stop().await {
            tracing::error!(error = %err, "the broker did not stop cleanly");
        }
        REGISTERED.lock().remove(&task_key);
        if REGISTERED.lock().is_empty() {
            std::process::exit(0);
        }
    });
    registered.insert(key, Some(task));
}

/// Removes the listeners of `broker` (its `stop()`), if `start()` registered any.
pub(super) fn unregister(broker: &ServiceBroker) {
    let removed = REGISTERED.lock().remove(broker.instance_id());
    if let Some(Some(task)) = removed {
        task.abort();
    }
}

/// SIGINT and SIGTERM listeners, registered when created.
pub(super) struct ShutdownSignals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl ShutdownSignals {
    /// The listeners, falling back to Ctrl-C alone where they cannot be installed.
    pub(super) fn install() -> ShutdownSignals {
        ShutdownSignals::try_install().unwrap_or_else(|| {
            tracing::warn!("could not install signal handlers; falling back to Ctrl-C");
            ShutdownSignals {
                #[cfg(unix)]
                streams: None,
            }
        })
    }

    /// The listeners, or `None` where this runtime cannot listen to signals.
    fn try_install() -> Option<ShutdownSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let int = signal(SignalKind::interrupt()).ok()?;
            let term = signal(SignalKind::terminate()).ok()?;
            Some(ShutdownSignals {
                streams: Some((int, term)),
            })
        }
        #[cfg(not(unix))]
        Some(ShutdownSignals {})
    }

    /// Waits for the next signal.
    pub(super) async fn next(&mut self) {
        #[cfg(unix)]
        if let Some((int, term)) = &mut self.streams {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        if tokio::signal::ctrl_c().await.is_err() {
            // Nothing to listen to: never a signal.
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(broker: &ServiceBroker) -> bool {
        REGISTERED.lock().contains_key(broker.instance_id())
    }

    #[tokio::test]
    async fn start_registers_and_stop_removes_the_listeners() {
        let broker = ServiceBroker::builder().build().unwrap();
        broker.start().await.unwrap();
        assert!(registered(&broker));
        broker.stop().await.unwrap();
        assert!(!registered(&broker));

        let options = crate::BrokerOptions {
            skip_process_event_registration: true,
            ..Default::default()
        };
        let broker = ServiceBroker::builder().options(options).build().unwrap();
        broker.start().await.unwrap();
        assert!(!registered(&broker));
        broker.stop().await.unwrap();
    }
}
