use moleculer::prelude::*;
use moleculer::Payload;

#[derive(Default)]
struct Shop;

#[service(name = "shop")]
impl Shop {
    #[action]
    async fn create(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }

    #[hook(before = "*", after = "*")]
    async fn check(&self, _ctx: &mut Context<Payload>) -> Result<()> {
        Ok(())
    }

    #[hook]
    async fn nothing(&self, _ctx: &mut Context<Payload>) -> Result<()> {
        Ok(())
    }
}

fn main() {}
