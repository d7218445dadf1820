fn main() {
    // The embedded migrations (sqlx::migrate!) are re-read when a migration changes.
    println!("cargo:rerun-if-changed=../migrations");
}
