use moleculer::prelude::*;

struct Mailer;

impl Mailer {
    #[event(name = "user.*")]
    async fn on_user(&self, _ctx: EventContext) {}
}

fn main() {}
