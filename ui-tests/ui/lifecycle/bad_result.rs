use moleculer::prelude::*;

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[started]
    async fn started(&self) -> Result<u32> {
        Ok(1)
    }
}

fn main() {}
