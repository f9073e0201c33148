//! Node's `File` logger's writing: lines queue up and a thread of their own appends them
//! every `interval` to the file the name template gives at that moment (`{date}` makes a
//! new file each UTC day), so a handler that logs never waits on the disk.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, Weak};
use std::thread::Thread;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;

use super::NodeBindings;
use super::formatted::{iso_time, render};
use crate::options::FileLoggerOptions;

/// Where the file logger reads the time for the file's `{date}`; a test sets its own.
pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The queue of one file logger and what it writes to.
pub(crate) struct FileWriter {
    /// The folder, resolved once at start (Node's `logFolder`).
    folder: PathBuf,
    /// The file name template.
    filename: String,
    eol: String,
    node: NodeBindings,
    /// The time between two writes; zero writes each line as it comes.
    interval: Duration,
    clock: Clock,
    queue: Mutex<Vec<String>>,
    /// Held while writing, so lines reach the file in the order they were logged.
    writing: Mutex<()>,
    /// The writing thread, woken for each line when `interval` is zero and at the end.
    thread: OnceLock<Thread>,
}

impl std::fmt::Debug for FileWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileWriter")
            .field("folder", &self.folder)
            .field("filename", &self.filename)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl FileWriter {
    /// Makes the folder and starts the writing thread.
    ///
    /// # Errors
    /// The folder cannot be made, or the thread cannot start.
    pub(crate) fn start(
        options: &FileLoggerOptions,
        node: &NodeBindings,
        clock: Clock,
    ) -> std::io::Result<Arc<FileWriter>> {
        let folder = render(&options.folder, |name| node.value(name));
        let folder = std::env::current_dir()?.join(folder);
        std::fs::create_dir_all(&folder)?;
        let writer = Arc::new(FileWriter {
            folder,
            filename: options.filename.clone(),
            eol: options.eol.clone(),
            node: node.clone(),
            interval: Duration::from_millis(options.interval),
            clock,
            queue: Mutex::new(Vec::new()),
            writing: Mutex::new(()),
            thread: OnceLock::new(),
        });
        let weak = Arc::downgrade(&writer);
        let interval = writer.interval;
        let thread = std::thread::Builder::new()
            .name("moleculer-file-logger".to_owned())
            .spawn(move || write_in_turn(&weak, interval))?;
        let _ = writer.thread.set(thread.thread().clone());
        Ok(writer)
    }

    /// Queues a line (without its end of line).
    pub(crate) fn push(&self, line: String) {
        self.queue.lock().push(line);
        if self.interval.is_zero()
            && let Some(thread) = self.thread.get()
        {
            thread.unpark();
        }
    }

    /// The file the lines go to now (Node's `getFilename`).
    pub(crate) fn current_file(&self) -> PathBuf {
        let date = iso_time((self.clock)())[..10].to_owned();
        let name = render(&self.filename, |name| match name {
            "date" => Some(date.clone()),
            other => self.node.value(other),
        });
        self.folder.join(name)
    }

    /// Appends the queued lines to the current file, each followed by `eol` (Node's
    /// `flush`). A failed write is reported on stderr and its lines are lost, as in Node.
    pub(crate) fn flush(&self) {
        let _writing = self.writing.lock();
        let rows = std::mem::take(&mut *self.queue.lock());
        if rows.is_empty() {
            return;
        }
        let file = self.current_file();
        let mut buf = rows.join(&self.eol);
        buf.push_str(&self.eol);
        let written = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .and_then(|mut f| f.write_all(buf.as_bytes()));
        if let Err(err) = written {
            eprintln!("Unable to write log file: {} {err}", file.display());
        }
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        self.flush();
        if let Some(thread) = self.thread.get() {
            thread.unpark();
        }
    }
}

/// The writing thread: every `interval` (or when woken, with a zero interval) it writes
/// what is queued, until the logger is gone.
fn write_in_turn(writer: &Weak<FileWriter>, interval: Duration) {
    loop {
        if interval.is_zero() {
            std::thread::park();
        } else {
            std::thread::park_timeout(interval);
        }
        let Some(writer) = writer.upgrade() else {
            return;
        };
        writer.flush();
    }
}

/// Node's file logger takes the text without colour codes (`/\u001b\[.*?m/g`): the codes a
/// message itself holds go too.
pub(crate) fn strip_colors(line: &str) -> String {
    if !line.contains('\x1b') {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("\x1b[") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        // `.` stops at a line break: a code must end on its own line.
        let end = after.find(['m', '\n', '\r', '\u{2028}', '\u{2029}']);
        match end {
            Some(end) if after[end..].starts_with('m') => rest = &after[end + 1..],
            _ => {
                out.push_str("\x1b[");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    #[test]
    fn colour_codes_are_stripped_as_node_strips_them() {
        assert_eq!(
            strip_colors("\x1b[90m[t]\x1b[39m \x1b[31m\x1b[7mFATAL\x1b[39m\x1b[27m x"),
            "[t] FATAL x"
        );
        assert_eq!(strip_colors("a\x1b[1\nm b"), "a\x1b[1\nm b");
        assert_eq!(strip_colors("plain"), "plain");
    }

    fn temp_folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mol-file-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// 2024-01-01T23:59:59Z, then a second later the next day.
    const BEFORE_MIDNIGHT: u64 = 1_704_153_599;

    #[test]
    fn a_day_change_opens_a_new_file() {
        static NOW: AtomicU64 = AtomicU64::new(BEFORE_MIDNIGHT);
        let folder = temp_folder("rotation");
        let options = FileLoggerOptions {
            folder: format!("{}/{{nodeID}}", folder.display()),
            filename: "{namespace}-{nodeID}-{date}.log".to_owned(),
            eol: "\r\n".to_owned(),
            // Long enough that only the test writes.
            interval: 3_600_000,
            ..FileLoggerOptions::default()
        };
        let node = NodeBindings::new("node-1", "dev");
        let clock: Clock =
            Arc::new(|| SystemTime::UNIX_EPOCH + Duration::from_secs(NOW.load(Ordering::SeqCst)));
        let writer = FileWriter::start(&options, &node, clock).unwrap();
        writer.push("one".to_owned());
        writer.push("two".to_owned());
        assert_eq!(
            writer.current_file(),
            folder.join("node-1/dev-node-1-2024-01-01.log")
        );
        writer.flush();
        NOW.store(BEFORE_MIDNIGHT + 1, Ordering::SeqCst);
        writer.push("three".to_owned());
        drop(writer);
        let read = |name: &str| std::fs::read_to_string(folder.join("node-1").join(name)).unwrap();
        assert_eq!(read("dev-node-1-2024-01-01.log"), "one\r\ntwo\r\n");
        assert_eq!(read("dev-node-1-2024-01-02.log"), "three\r\n");
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn a_zero_interval_writes_each_line_off_the_logging_thread() {
        let folder = temp_folder("zero");
        let options = FileLoggerOptions {
            folder: folder.display().to_string(),
            interval: 0,
            ..FileLoggerOptions::default()
        };
        let node = NodeBindings::new("n", "");
        let writer = FileWriter::start(&options, &node, Arc::new(SystemTime::now)).unwrap();
        writer.push("line".to_owned());
        let file = writer.current_file();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::fs::read_to_string(&file).unwrap_or_default() != "line\n" {
            assert!(
                std::time::Instant::now() < deadline,
                "the line was not written"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(writer);
        let _ = std::fs::remove_dir_all(&folder);
    }
}
