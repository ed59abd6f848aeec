//! Feature cache keyed by a hash of everything extraction depends on: image bytes, mask bytes,
//! the PyRadiomics parameter document and the radscore version. A re-run of training or evaluation
//! extracts only the patients whose inputs changed; a new radscore version starts afresh.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::CohortError;

/// A folder of `<sha256>.json` feature vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureCache {
    dir: PathBuf,
    /// Hash prefix shared by every entry: version and parameter document.
    context: Vec<u8>,
}

/// One cached vector: names and values, non-finite values as `null` (JSON has no NaN).
type Entry = Vec<(String, Option<f64>)>;

impl FeatureCache {
    /// A cache in `dir` (created on first write) for features extracted with `params`.
    pub fn new(dir: &Path, params: &serde_json::Value) -> Self {
        let mut context = format!("radscore {}\0", env!("CARGO_PKG_VERSION")).into_bytes();
        context.extend(params.to_string().bytes());
        context.push(0);
        FeatureCache {
            dir: dir.to_path_buf(),
            context,
        }
    }

    /// The default location: `.radscore-cache` in the cohort's folder.
    pub fn default_dir(cohort: &Path) -> PathBuf {
        let folder = if cohort.is_dir() {
            cohort
        } else {
            cohort.parent().unwrap_or(Path::new("."))
        };
        folder.join(".radscore-cache")
    }

    /// The key of an image and mask: SHA-256 of the context and both inputs' bytes (a folder, e.g.
    /// a DICOM series, contributes every file's relative name and bytes in sorted order).
    pub fn key(&self, image: &Path, mask: &Path) -> Result<String, CohortError> {
        let mut hasher = Sha256::new();
        hasher.update(&self.context);
        for input in [image, mask] {
            hash_input(&mut hasher, input, input)?;
            hasher.update([0xff]);
        }
        Ok(hex::encode(hasher.finalize()))
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The cached features of `key`, if any.
    pub fn get(&self, key: &str) -> Result<Option<Vec<(String, f64)>>, CohortError> {
        let path = self.path(key);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(cache_error(&path, e)),
        };
        let entry: Entry = serde_json::from_slice(&bytes).map_err(|e| cache_error(&path, e))?;
        Ok(Some(
            entry
                .into_iter()
                .map(|(name, value)| (name, value.unwrap_or(f64::NAN)))
                .collect(),
        ))
    }

    /// Stores features under `key`; written to a temporary file and renamed, so a crash never leaves
    /// a half-written entry.
    pub fn put(&self, key: &str, features: &[(String, f64)]) -> Result<(), CohortError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| cache_error(&self.dir, e))?;
        let entry: Entry = features
            .iter()
            .map(|(name, value)| (name.clone(), value.is_finite().then_some(*value)))
            .collect();
        let path = self.path(key);
        let temporary = self.dir.join(format!("{key}.json.{}.tmp", std::process::id()));
        let json = serde_json::to_vec(&entry).map_err(|e| cache_error(&path, e))?;
        std::fs::write(&temporary, json).map_err(|e| cache_error(&temporary, e))?;
        std::fs::rename(&temporary, &path).map_err(|e| cache_error(&path, e))
    }
}

fn cache_error(path: &Path, e: impl std::fmt::Display) -> CohortError {
    CohortError::Cache {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn hash_input(hasher: &mut Sha256, path: &Path, root: &Path) -> Result<(), CohortError> {
    let read_error = |e: std::io::Error| CohortError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(read_error)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(read_error)?;
        entries.sort();
        for entry in entries {
            hash_input(hasher, &entry, root)?;
        }
        return Ok(());
    }
    let relative = path.strip_prefix(root).unwrap_or(path);
    hasher.update(relative.to_string_lossy().as_bytes());
    hasher.update([0]);
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer).map_err(read_error)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    hasher.update((file.metadata().map_err(read_error)?.len()).to_le_bytes());
    Ok(())
}
