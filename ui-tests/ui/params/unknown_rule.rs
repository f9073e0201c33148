use moleculer::prelude::*;

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[action(params = { name: "strng" })]
    async fn hello(&self, _ctx: Context) -> Result<String> {
        Ok(String::new())
    }
}

fn main() {}
