use moleculer::prelude::*;

struct Math;

#[service(name = "math")]
impl Default for Math {
    fn default() -> Self {
        Math
    }
}

fn main() {
    let _ = Math::default();
}
