use moleculer::prelude::*;

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[created]
    async fn created(&self) {}
}

fn main() {}
