use moleculer::prelude::*;

#[derive(Default)]
struct Audit;

#[service(name = "audit", register = false)]
impl Audit {}

#[derive(Default)]
struct Users;

#[service(name = "users", mixins(Audit, Audit))]
impl Users {}

fn main() {}
