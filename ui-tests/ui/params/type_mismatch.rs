use moleculer::prelude::*;

#[derive(serde::Deserialize, Validate, JsonSchema)]
struct AddParams {
    a: f64,
    b: f64,
}

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[action(params = AddParams)]
    async fn add(&self, ctx: Context<serde_json::Value>) -> Result<f64> {
        Ok(ctx.params["a"].as_f64().unwrap_or_default())
    }
}

fn main() {}
