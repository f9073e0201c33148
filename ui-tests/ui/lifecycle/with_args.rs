use moleculer::prelude::*;

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[stopped(timeout = 100)]
    async fn stopped(&self) {}
}

fn main() {}
