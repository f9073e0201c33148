use moleculer::prelude::*;

#[derive(Default)]
struct Plain;

#[derive(Default)]
struct Users;

#[service(name = "users", mixins(Plain))]
impl Users {}

fn main() {}
