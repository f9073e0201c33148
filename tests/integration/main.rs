//! Integration tests: one binary, one module per area.

mod basics;
mod breaker;
mod cluster;
mod context;
mod errors;
mod events;
mod fallback;
mod hooks;
mod hygiene;
mod internal;
mod interop;
mod interop_fault;
mod interop_tcp;
mod lifecycle;
mod middleware;
mod mixins;
mod naming;
mod node_harness;
mod options;
mod protocol;
mod reconnect;
mod registration;
mod run;
mod shutdown;
mod tcp;
mod transporter;
