use moleculer::prelude::*;

#[derive(serde::Deserialize, JsonSchema)]
struct AddParams {
    a: f64,
    b: f64,
}

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[action(params = AddParams)]
    async fn add(&self, ctx: Context<AddParams>) -> Result<f64> {
        Ok(ctx.params.a + ctx.params.b)
    }
}

fn main() {}
