use moleculer::prelude::*;

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[action(name = "add", timeout = 1000, name = "sum")]
    async fn add(&self, _ctx: Context) -> Result<f64> {
        Ok(1.0)
    }
}

fn main() {}
