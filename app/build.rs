//! Compiles `locales/{en,ta}.json` into typed translation keys (leptos_i18n): a key
//! used in code but missing from the files is a compile error.

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR")?).join("i18n");
    // Interpolated values are plain text (`td_string!` with `{{ name }}`).
    let options = ParseOptions::default().interpolate_display(true);
    let config = Config::new("en")?.add_locale("ta")?.parse_options(options);
    let infos = TranslationsInfos::parse(config)?;
    infos.emit_diagnostics();
    infos.rerun_if_locales_changed();
    infos.generate_i18n_module(out)?;
    Ok(())
}
