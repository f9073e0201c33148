use moleculer::prelude::*;

#[derive(Default)]
struct Math;

#[service(name = "math", version = 1.5)]
impl Math {
    #[action]
    async fn add(&self, _ctx: Context) -> Result<f64> {
        Ok(1.0)
    }
}

fn main() {}
