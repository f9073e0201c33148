use moleculer::prelude::*;

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[action]
    async fn add(&self, _params: serde_json::Value) -> Result<f64> {
        Ok(1.0)
    }
}

fn main() {}
