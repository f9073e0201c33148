use moleculer::prelude::*;

#[derive(Default)]
struct Mailer;

#[service(name = "mailer")]
impl Mailer {
    #[event(name = "user.created", strategy = "Fastest")]
    async fn created(&self, _ctx: EventContext) {}

    #[action(strategy = "Shard", strategy_options = "id")]
    async fn send(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }
}

fn main() {}
