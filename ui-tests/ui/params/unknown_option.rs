use moleculer::prelude::*;

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[action(params = { name: { type: "string", minn: 2 } })]
    async fn hello(&self, _ctx: Context) -> Result<String> {
        Ok(String::new())
    }
}

fn main() {}
