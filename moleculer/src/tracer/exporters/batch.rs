//! The spans an exporter sends together: a queue, and a task that sends what waits every
//! `interval`, or as soon as something waits when the interval is zero.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::service::BoxFuture;
use crate::tracer::SpanData;

/// How a batch of spans is sent.
pub(crate) type SendBatch = Arc<dyn Fn(Vec<SpanData>) -> BoxFuture<'static, ()> + Send + Sync>;

/// The queue and its sending task.
pub(crate) struct Batch {
    queue: Arc<Mutex<Vec<SpanData>>>,
    waiting: Arc<Notify>,
    at_once: bool,
    send: SendBatch,
    sender: JoinHandle<()>,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("waiting", &self.queue.lock().len())
            .field("at_once", &self.at_once)
            .finish()
    }
}

/// Takes what waits, and sends it unless there is nothing.
async fn send_waiting(queue: &Mutex<Vec<SpanData>>, send: &SendBatch) {
    let spans = std::mem::take(&mut *queue.lock());
    if !spans.is_empty() {
        send(spans).await;
    }
}

impl Batch {
    /// Starts sending with `send` every `interval` (zero: as soon as a span waits).
    pub(crate) fn start(interval: Duration, send: SendBatch) -> Batch {
        let queue = Arc::new(Mutex::new(Vec::new()));
        let waiting = Arc::new(Notify::new());
        let at_once = interval.is_zero();
        let sender = {
            let (queue, waiting, send) = (queue.clone(), waiting.clone(), send.clone());
            tokio::spawn(async move {
                if at_once {
                    loop {
                        waiting.notified().await;
                        send_waiting(&queue, &send).await;
                    }
                }
                let mut ticks = tokio::time::interval(interval);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    send_waiting(&queue, &send).await;
                }
            })
        };
        Batch {
            queue,
            waiting,
            at_once,
            send,
            sender,
        }
    }

    /// Queues a span.
    pub(crate) fn push(&self, span: SpanData) {
        self.queue.lock().push(span);
        if self.at_once {
            self.waiting.notify_one();
        }
    }

    /// Whether each span is sent at once.
    pub(crate) fn sends_at_once(&self) -> bool {
        self.at_once
    }

    /// Stops the task, and sends what still waits.
    pub(crate) async fn stop(self) {
        self.sender.abort();
        send_waiting(&self.queue, &self.send).await;
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.sender.abort();
    }
}
