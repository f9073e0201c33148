use moleculer::prelude::*;

#[derive(Default)]
struct Shop;

#[service(name = "shop")]
impl Shop {
    #[action(hooks(before = "check", around = "wrap"))]
    async fn create(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }

    #[action(hooks(after = ["not a method"]))]
    async fn update(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }
}

fn main() {}
