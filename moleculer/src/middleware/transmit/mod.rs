//! Node's transmit middlewares (`Middlewares.Transmit`, reference §2.11): they change the
//! bytes of every packet on their way to and from the transporter, so every node of a
//! cluster must use the same ones, in the same order. TCP framing is applied after them.
//!
//! ```
//! use moleculer::ServiceBroker;
//! use moleculer::middleware::transmit::{Compression, CompressionMethod, Encryption};
//!
//! let broker = ServiceBroker::builder()
//!     // As Node's `[Encryption(key, "aes-256-cbc", iv), Compression("deflate")]`.
//!     .middleware(Encryption::new("aes-256-cbc", b"0123456789abcdef0123456789abcdef", b"fedcba9876543210")?)
//!     .middleware(Compression::new(CompressionMethod::Deflate))
//!     .build()?;
//! # Ok::<(), moleculer::Error>(())
//! ```

mod compression;
mod encryption;

pub use compression::{Compression, CompressionMethod, MAX_INFLATED};
pub use encryption::Encryption;

/// A received message these middlewares cannot read is logged and dropped, as Node drops it.
fn dropped(
    middleware: &str,
    packet_type: crate::protocol::PacketType,
    why: &dyn std::fmt::Display,
) {
    tracing::error!(target: "moleculer::transit", middleware, packet = %packet_type, error = %why, "received packet dropped");
}
