use moleculer::prelude::*;

#[derive(Default)]
struct Jobs;

#[service(name = "jobs")]
impl Jobs {
    // Node checks these with JavaScript values; a Rust schema cannot hold them.
    #[action(params = { cb: "function", at: { type: "custom", check: true } })]
    async fn schedule(&self, _ctx: Context) -> Result<String> {
        Ok(String::new())
    }
}

fn main() {}
