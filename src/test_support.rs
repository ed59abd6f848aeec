//! Helpers shared by the library's unit tests.

use std::path::{Path, PathBuf};

/// `../shared/reference` beside the crate, or `None` (with a note) when it is absent; absence fails
/// the test when `RADSCORE_REQUIRE_REFERENCE=1`, as in CI.
pub fn reference_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    if dir.join("README.md").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("RADSCORE_REQUIRE_REFERENCE").as_deref() != Ok("1"),
        "RADSCORE_REQUIRE_REFERENCE=1 but {} is missing",
        dir.display()
    );
    eprintln!("skipped: {} not found", dir.display());
    None
}
