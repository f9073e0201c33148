//! Any bytes on a TCP connection, cut into frames as a reading task cuts them: frames or the
//! reason the connection closes, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = moleculer::__fuzz::tcp_frames(data, 1 << 20);
    let _ = moleculer::__fuzz::tcp_frames(data, 64);
});
