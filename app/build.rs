// Embedded migrations (`sqlx::migrate!`) must be re-read when a file is added.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
