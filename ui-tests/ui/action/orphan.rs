use moleculer::prelude::*;

#[action]
async fn add(_ctx: Context) -> Result<f64> {
    Ok(1.0)
}

fn main() {
    let _ = add;
}
