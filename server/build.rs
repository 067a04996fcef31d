//! `sqlx::migrate!` embeds `migrations/` at compile time; without this, adding a migration file
//! changes no Rust source and cargo would keep the binary (and the tests) with the old list.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
