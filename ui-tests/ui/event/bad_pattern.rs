use moleculer::prelude::*;

#[derive(Default)]
struct Mailer;

#[service(name = "mailer")]
impl Mailer {
    #[event(name = "user created")]
    async fn on_user(&self, _ctx: EventContext) {}
}

fn main() {}
