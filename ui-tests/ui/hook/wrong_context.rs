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

    #[hook(before = "*")]
    async fn check(&self, _ctx: &Context<Payload>) -> Result<()> {
        Ok(())
    }

    #[hook(after = "*")]
    async fn wrap(&self, _ctx: &Context<Payload>) -> Result<Payload> {
        Ok(Payload::null())
    }
}

fn main() {}
