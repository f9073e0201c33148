use moleculer::prelude::*;

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[action]
    fn add(&self, _ctx: Context) -> Result<f64> {
        Ok(1.0)
    }

    #[event(name = "user.*", grup = "mailer")]
    async fn on_user(&self, _ctx: EventContext) {}

    #[started]
    async fn started(&mut self, _broker: &ServiceBroker) -> Result<()> {
        Ok(())
    }
}

fn main() {}
