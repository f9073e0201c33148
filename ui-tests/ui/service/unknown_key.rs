use moleculer::prelude::*;

#[derive(Default)]
struct Math;

#[service(name = "math", verison = 2)]
impl Math {
    #[action]
    async fn add(&self, _ctx: Context) -> Result<f64> {
        Ok(1.0)
    }
}

fn main() {}
