use moleculer::prelude::*;

#[derive(Default)]
struct Math;

#[service(name = "math")]
impl Math {
    #[started]
    async fn started(&self, _broker: ServiceBroker) -> Result<()> {
        Ok(())
    }
}

fn main() {}
