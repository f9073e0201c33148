use moleculer::prelude::*;

struct Audit {
    _sink: String,
}

#[service(name = "audit", register = false)]
impl Audit {}

#[derive(Default)]
struct Users;

#[service(name = "users", mixins(Audit))]
impl Users {}

fn main() {}
