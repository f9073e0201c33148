use moleculer::prelude::*;

#[derive(Default)]
struct Search;

#[service(name = "search")]
impl Search {
    #[event(name = "typed", debounce = "500ms")]
    async fn on_typed(&self, _ctx: EventContext) {}
}

fn main() {}
