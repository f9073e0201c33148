use moleculer::prelude::*;

#[derive(Default)]
struct Svc;

#[service(name = "svc")]
impl Svc {
    #[action(cache = { keys: "id" })]
    async fn keys_not_a_list(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }

    #[action(cache = { ttl: "30" })]
    async fn ttl_not_a_number(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }

    #[action(cache = { kyes: ["id"] })]
    async fn misspelt(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }

    #[action(cache = 30)]
    async fn not_a_setting(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }

    #[action(cache = { lock: { staleTime: "10" } })]
    async fn stale_time_not_a_number(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }

    #[action(cache = { lock: { ttll: 10 } })]
    async fn lock_misspelt(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }

    #[action(cache = { enabled: "not a method" })]
    async fn enabled_not_a_method(&self, _ctx: Context) -> Result<()> {
        Ok(())
    }
}

fn main() {}
