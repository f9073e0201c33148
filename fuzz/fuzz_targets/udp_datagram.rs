//! Any UDP discovery datagram: a node and port, or nothing, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = moleculer::__fuzz::udp_datagram(data, "");
    let _ = moleculer::__fuzz::udp_datagram(data, "ns");
});
