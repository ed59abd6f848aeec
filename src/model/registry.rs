//! Every model artifact in the model directory, loaded and validated once, selectable by `name`
//! or `name@version`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Artifact, ModelError};

/// Why the model directory cannot be served from, or a model cannot be selected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The directory or a file in it could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An artifact is broken; the server must not start with it.
    #[error("{}: {source}", .path.display())]
    Artifact {
        /// The artifact file.
        path: PathBuf,
        /// What is wrong with it.
        source: ModelError,
    },
    /// Two files hold the same name and version.
    #[error("{} and {} both hold model {name}@{version}", .first.display(), .second.display())]
    Duplicate {
        /// Model name.
        name: String,
        /// Model version.
        version: String,
        /// The file read first.
        first: PathBuf,
        /// The file read second.
        second: PathBuf,
    },
    /// The directory holds no `*.json` artifact.
    #[error("no model artifacts (*.json) in {}; set RADSCORE_MODEL_DIR to a folder holding one", .0.display())]
    Empty(PathBuf),
    /// No default could be chosen, or the configured default is not loaded.
    #[error("default model: {0}")]
    Default(String),
    /// The requested model or version is not loaded.
    #[error("model {requested} is not loaded; available: {available}")]
    UnknownModel {
        /// What the caller asked for.
        requested: String,
        /// `name@version` of every loaded model.
        available: String,
    },
}

/// One loaded artifact with its identity.
#[derive(Debug)]
pub struct LoadedModel {
    /// The validated artifact.
    pub artifact: Artifact,
    /// `sha256:<hex>` of the artifact file's bytes.
    pub digest: String,
}

/// All loaded models: name → versions, newest last.
#[derive(Debug)]
pub struct Registry {
    models: BTreeMap<String, Vec<Arc<LoadedModel>>>,
    default: String,
}

/// `sha256:<hex>` of `bytes`, the digest format reported for models.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Orders versions numerically part by part (`1.10.0` after `1.9.0`), falling back to text for
/// non-numeric parts, so "latest" means what a person would expect.
fn version_key(version: &str) -> Vec<(u64, String)> {
    version
        .split(['.', '-', '+'])
        .map(|part| match part.parse::<u64>() {
            Ok(n) => (n, String::new()),
            Err(_) => (u64::MAX, part.to_owned()),
        })
        .collect()
}

impl Registry {
    /// Loads and validates every `*.json` file in `dir`. `default` (`name` or `name@version`)
    /// must then resolve; without it the directory must hold exactly one model name.
    pub fn load_dir(dir: &Path, default: Option<&str>) -> Result<Registry, RegistryError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| RegistryError::Io { path, source }
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .map(|entry| entry.map(|e| e.path()).map_err(io(dir)))
            .collect::<Result<_, _>>()?;
        files.retain(|p| p.extension().is_some_and(|e| e == "json") && p.is_file());
        files.sort();
        let mut loaded: Vec<(PathBuf, LoadedModel)> = Vec::with_capacity(files.len());
        for path in files {
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            let artifact = Artifact::from_json(&bytes).map_err(|source| RegistryError::Artifact {
                path: path.clone(),
                source,
            })?;
            if let Some((first, _)) = loaded
                .iter()
                .find(|(_, m)| m.artifact.name == artifact.name && m.artifact.version == artifact.version)
            {
                return Err(RegistryError::Duplicate {
                    name: artifact.name,
                    version: artifact.version,
                    first: first.clone(),
                    second: path,
                });
            }
            let digest = sha256_digest(&bytes);
            loaded.push((path, LoadedModel { artifact, digest }));
        }
        if loaded.is_empty() {
            return Err(RegistryError::Empty(dir.to_owned()));
        }
        let mut models: BTreeMap<String, Vec<Arc<LoadedModel>>> = BTreeMap::new();
        for (_, model) in loaded {
            models
                .entry(model.artifact.name.clone())
                .or_default()
                .push(Arc::new(model));
        }
        for versions in models.values_mut() {
            versions.sort_by_key(|m| version_key(&m.artifact.version));
        }
        let mut registry = Registry {
            models,
            default: String::new(),
        };
        registry.default = match default {
            Some(selector) => {
                registry
                    .select(Some(selector))
                    .map_err(|e| RegistryError::Default(e.to_string()))?;
                selector.to_owned()
            }
            None if registry.models.len() == 1 => registry.models.keys().next().cloned().unwrap_or_default(),
            None => {
                return Err(RegistryError::Default(format!(
                    "the model folder holds several models ({}); set RADSCORE_DEFAULT_MODEL to one",
                    registry.available()
                )));
            }
        };
        Ok(registry)
    }

    /// The model for `selector` (`name` for its newest version, or `name@version`); `None` picks the
    /// configured default.
    pub fn select(&self, selector: Option<&str>) -> Result<Arc<LoadedModel>, RegistryError> {
        let selector = selector.unwrap_or(&self.default);
        let (name, version) = match selector.split_once('@') {
            Some((name, version)) => (name, Some(version)),
            None => (selector, None),
        };
        let found = self.models.get(name).and_then(|versions| match version {
            Some(v) => versions.iter().find(|m| m.artifact.version == v),
            None => versions.last(),
        });
        found.cloned().ok_or_else(|| RegistryError::UnknownModel {
            requested: selector.to_owned(),
            available: self.available(),
        })
    }

    /// The default selector.
    pub fn default_selector(&self) -> &str {
        &self.default
    }

    /// Each model name with its versions, oldest first.
    pub fn models(&self) -> impl Iterator<Item = (&str, &[Arc<LoadedModel>])> {
        self.models
            .iter()
            .map(|(name, versions)| (name.as_str(), versions.as_slice()))
    }

    /// The versions of one model, oldest first.
    pub fn versions(&self, name: &str) -> Option<&[Arc<LoadedModel>]> {
        self.models.get(name).map(Vec::as_slice)
    }

    fn available(&self) -> String {
        self.models
            .values()
            .flatten()
            .map(|m| format!("{}@{}", m.artifact.name, m.artifact.version))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact_json(name: &str, version: &str) -> String {
        serde_json::json!({
            "format": crate::model::artifact::FORMAT,
            "name": name,
            "version": version,
            "research_use_only": true,
            "intended_use": "tests",
            "radiomics_params": {"featureClass": {"firstorder": ["Mean"]}},
            "radiomic_features": [{"name": "original_firstorder_Mean", "mean": 100.0, "sd": 10.0, "coefficient": 0.5}],
            "rad_score_intercept": 0.0,
            "clinical_inputs": [],
            "combined_model": {"intercept": 0.1, "terms": [{"input": "rad_score", "center": 0.0, "scale": 1.0, "coefficient": 1.0}]},
            "cutoff": 0.5,
            "training": {}
        })
        .to_string()
    }

    fn dir_with(files: &[(&str, String)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (file, text) in files {
            std::fs::write(dir.path().join(file), text).unwrap();
        }
        dir
    }

    #[test]
    fn selection_by_name_takes_the_numerically_newest_version() {
        let dir = dir_with(&[
            ("a.json", artifact_json("m", "1.9.0")),
            ("b.json", artifact_json("m", "1.10.0")),
            ("notes.txt", "not a model".into()),
        ]);
        let registry = Registry::load_dir(dir.path(), None).unwrap();
        assert_eq!(registry.select(None).unwrap().artifact.version, "1.10.0");
        assert_eq!(registry.select(Some("m@1.9.0")).unwrap().artifact.version, "1.9.0");
        let err = registry.select(Some("m@2.0.0")).unwrap_err().to_string();
        assert!(err.contains("m@1.9.0, m@1.10.0"), "{err}");
    }

    #[test]
    fn digest_is_the_sha256_of_the_file_bytes() {
        let text = artifact_json("m", "1.0.0");
        let dir = dir_with(&[("m.json", text.clone())]);
        let registry = Registry::load_dir(dir.path(), None).unwrap();
        // SHA-256 of "abc" from FIPS 180-2, to pin the hex formatting.
        assert_eq!(
            sha256_digest(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(registry.select(None).unwrap().digest, sha256_digest(text.as_bytes()));
    }

    #[test]
    fn a_broken_artifact_stops_loading_naming_its_file() {
        let dir = dir_with(&[
            ("good.json", artifact_json("m", "1.0.0")),
            (
                "bad.json",
                artifact_json("m", "1.1.0").replace("\"cutoff\":0.5", "\"cutoff\":1.5"),
            ),
        ]);
        let err = Registry::load_dir(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("bad.json") && err.contains("cutoff"), "{err}");
    }

    #[test]
    fn several_model_names_need_a_configured_default_that_exists() {
        let dir = dir_with(&[("a.json", artifact_json("a", "1")), ("b.json", artifact_json("b", "1"))]);
        let err = Registry::load_dir(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("RADSCORE_DEFAULT_MODEL"), "{err}");
        let err = Registry::load_dir(dir.path(), Some("c")).unwrap_err().to_string();
        assert!(err.contains("model c is not loaded"), "{err}");
        let registry = Registry::load_dir(dir.path(), Some("b")).unwrap();
        assert_eq!(registry.select(None).unwrap().artifact.name, "b");
    }

    #[test]
    fn an_empty_folder_and_a_duplicate_version_are_errors() {
        let dir = dir_with(&[]);
        let err = Registry::load_dir(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("no model artifacts"), "{err}");
        let dir = dir_with(&[("a.json", artifact_json("m", "1")), ("b.json", artifact_json("m", "1"))]);
        let err = Registry::load_dir(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("both hold model m@1"), "{err}");
    }
}
