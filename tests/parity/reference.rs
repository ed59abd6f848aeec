//! Locating `../shared/reference`. In CI (`RADSCORE_REQUIRE_REFERENCE=1`) a missing folder fails
//! the test; elsewhere the test says it skipped and passes.

use std::path::PathBuf;

/// The reference folder, or `None` (after printing why) when it is absent and not required.
pub fn reference_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    if std::env::var("RADSCORE_REQUIRE_REFERENCE").is_ok_and(|v| v == "1") {
        panic!("RADSCORE_REQUIRE_REFERENCE=1 but {} is missing", dir.display());
    }
    eprintln!(
        "skipped: {} not found (set RADSCORE_REQUIRE_REFERENCE=1 to make this a failure)",
        dir.display()
    );
    None
}

/// Reads and parses a JSON file below the reference folder.
pub fn read_json(dir: &std::path::Path, relative: &str) -> serde_json::Value {
    let path = dir.join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}
