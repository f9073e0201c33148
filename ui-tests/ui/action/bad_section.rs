use moleculer::prelude::*;

#[derive(Default)]
struct Svc;

#[service(name = "svc")]
impl Svc {
    #[action(bulkhead = { enabled: true, concurency: 2 })]
    async fn misspelt(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }

    #[action(retry_policy = { retries: "3" })]
    async fn wrong_kind(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }
}

fn main() {}
