//! Bounded zip extraction for uploaded DICOM exports.
//!
//! An archive is untrusted: entry count, total uncompressed bytes and per-entry compression ratio
//! are capped (counting the bytes really inflated, not the sizes the headers declare), names that
//! could leave the destination are rejected, and nothing is written outside the destination.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// Limits on what one zip upload may expand to.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ZipLimits {
    /// Largest total of uncompressed bytes over all entries.
    pub max_total_bytes: u64,
    /// Largest number of entries (files and folders).
    pub max_entries: usize,
    /// Largest uncompressed/compressed size ratio of one entry. DICOM images deflate by 2–10×;
    /// ratios in the hundreds mean a zip bomb.
    pub max_ratio: f64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_total_bytes: 4 << 30,
            max_entries: 20_000,
            max_ratio: 200.0,
        }
    }
}

/// Why a zip archive was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// Reading the archive or writing an entry failed.
    #[error("{file}: cannot read zip: {source}")]
    Io {
        /// The archive's name.
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The archive structure is invalid or truncated.
    #[error("{file}: invalid zip archive: {message}")]
    Invalid {
        /// The archive's name.
        file: String,
        /// What the zip reader reported.
        message: String,
    },
    /// More entries than allowed.
    #[error("{file}: zip has {entries} entries, more than the limit of {limit}")]
    TooManyEntries {
        /// The archive's name.
        file: String,
        /// Entries in the archive.
        entries: usize,
        /// The limit.
        limit: usize,
    },
    /// The entries expand to more bytes than allowed.
    #[error("{file}: zip expands to more than the limit of {limit} bytes")]
    TooLarge {
        /// The archive's name.
        file: String,
        /// The limit.
        limit: u64,
    },
    /// One entry inflates far more than real data does.
    #[error("{file}: entry {entry} expands more than {limit}× its compressed size (zip bomb?)")]
    CompressionRatio {
        /// The archive's name.
        file: String,
        /// The entry's name.
        entry: String,
        /// The limit.
        limit: f64,
    },
    /// An entry name that is absolute or climbs out of the archive root.
    #[error("{file}: entry name {entry:?} would be extracted outside the archive folder")]
    PathTraversal {
        /// The archive's name.
        file: String,
        /// The entry's name as stored.
        entry: String,
    },
    /// An entry that is a symbolic link.
    #[error("{file}: entry {entry:?} is a symbolic link; links are not extracted")]
    Symlink {
        /// The archive's name.
        file: String,
        /// The entry's name.
        entry: String,
    },
}

/// True when the file starts with a zip local-file or end-of-central-directory signature.
pub fn is_zip(path: &Path) -> std::io::Result<bool> {
    Ok(read_head::<4>(path)?.is_some_and(|head| head == *b"PK\x03\x04" || head == *b"PK\x05\x06"))
}

/// The first `N` bytes of the file, or `None` when it is shorter: what content sniffing reads.
pub(crate) fn read_head<const N: usize>(path: &Path) -> std::io::Result<Option<[u8; N]>> {
    let mut head = [0u8; N];
    let mut file = std::fs::File::open(path)?;
    let mut filled = 0;
    while filled < N {
        match file.read(&mut head[filled..])? {
            0 => return Ok(None),
            n => filled += n,
        }
    }
    Ok(Some(head))
}

/// The relative path an entry name maps to, or `None` when it is absolute or climbs out
/// (`..`, a drive letter, a backslash path that Windows tools would read as one).
fn safe_relative_path(name: &str) -> Option<PathBuf> {
    if name.contains('\\') || name.contains('\0') {
        return None;
    }
    let path = Path::new(name);
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) if !part.to_string_lossy().contains(':') => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Extracts the regular files of `archive` below `dest` (which must exist) within `limits`,
/// returning their paths. `name` is how errors refer to the archive.
pub fn extract_zip(archive: &Path, name: &str, dest: &Path, limits: &ZipLimits) -> Result<Vec<PathBuf>, ArchiveError> {
    let io = |source| ArchiveError::Io {
        file: name.to_owned(),
        source,
    };
    let invalid = |e: zip::result::ZipError| ArchiveError::Invalid {
        file: name.to_owned(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(archive).map_err(io)?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(invalid)?;
    if zip.len() > limits.max_entries {
        return Err(ArchiveError::TooManyEntries {
            file: name.into(),
            entries: zip.len(),
            limit: limits.max_entries,
        });
    }
    let mut total: u64 = 0;
    let mut written = Vec::new();
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index).map_err(invalid)?;
        let entry_name = entry.name().map_err(invalid)?.into_owned();
        let relative = safe_relative_path(&entry_name).ok_or_else(|| ArchiveError::PathTraversal {
            file: name.into(),
            entry: entry_name.clone(),
        })?;
        if entry.is_symlink() {
            return Err(ArchiveError::Symlink {
                file: name.into(),
                entry: entry_name,
            });
        }
        if entry.is_dir() || relative.as_os_str().is_empty() {
            continue;
        }
        let target = dest.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        // Allow this entry only what is left of the total and of its ratio; one byte more
        // than allowed proves the limit is exceeded without inflating the rest.
        let ratio_cap = (entry.compressed_size().max(1) as f64 * limits.max_ratio) as u64;
        let remaining = limits.max_total_bytes - total;
        let cap = remaining.min(ratio_cap);
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(io)?;
        let copied = std::io::copy(&mut (&mut entry).take(cap.saturating_add(1)), &mut out).map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData || e.kind() == std::io::ErrorKind::UnexpectedEof {
                ArchiveError::Invalid {
                    file: name.into(),
                    message: format!("entry {entry_name}: {e}"),
                }
            } else {
                io(e)
            }
        })?;
        out.flush().map_err(io)?;
        if copied > cap {
            return Err(if copied > remaining {
                ArchiveError::TooLarge {
                    file: name.into(),
                    limit: limits.max_total_bytes,
                }
            } else {
                ArchiveError::CompressionRatio {
                    file: name.into(),
                    entry: entry_name,
                    limit: limits.max_ratio,
                }
            });
        }
        total += copied;
        written.push(target);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// Writes a zip of `(name, bytes)` entries, deflated, and returns its path.
    fn make_zip(dir: &Path, entries: &[(&str, Vec<u8>)]) -> PathBuf {
        let path = dir.join("upload.zip");
        let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap();
        path
    }

    fn extract(zip: &Path, dest: &Path, limits: &ZipLimits) -> Result<Vec<PathBuf>, ArchiveError> {
        extract_zip(zip, "upload.zip", dest, limits)
    }

    #[test]
    fn regular_entries_are_extracted_below_the_destination_only() {
        let dir = tempfile::tempdir().unwrap();
        let zip = make_zip(dir.path(), &[("a/b.dcm", vec![1, 2, 3]), ("./c.dcm", vec![4])]);
        let dest = dir.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        let files = extract(&zip, &dest, &ZipLimits::default()).unwrap();
        assert_eq!(files, [dest.join("a/b.dcm"), dest.join("c.dcm")]);
        assert_eq!(std::fs::read(&files[0]).unwrap(), [1, 2, 3]);
    }

    #[test]
    fn names_that_climb_out_or_are_absolute_are_rejected_before_writing() {
        for name in [
            "../evil.dcm",
            "a/../../evil.dcm",
            "/etc/evil.dcm",
            "..\\evil.dcm",
            "C:/evil.dcm",
        ] {
            let dir = tempfile::tempdir().unwrap();
            let zip = make_zip(dir.path(), &[(name, vec![1])]);
            let dest = dir.path().join("out");
            std::fs::create_dir(&dest).unwrap();
            let err = extract(&zip, &dest, &ZipLimits::default()).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("upload.zip: entry name {name:?} would be extracted outside the archive folder")
            );
            assert!(!dir.path().join("evil.dcm").exists());
            assert_eq!(std::fs::read_dir(&dest).unwrap().count(), 0);
        }
    }

    #[test]
    fn a_zip_bomb_entry_stops_at_the_compression_ratio_limit() {
        let dir = tempfile::tempdir().unwrap();
        let zip = make_zip(dir.path(), &[("zeros.dcm", vec![0u8; 4 << 20])]);
        let err = extract(&zip, dir.path(), &ZipLimits::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "upload.zip: entry zeros.dcm expands more than 200× its compressed size (zip bomb?)"
        );
        // Inflation stopped at the cap: far less than the 4 MiB the entry would expand to.
        let written = std::fs::metadata(dir.path().join("zeros.dcm")).unwrap().len();
        assert!(written < 1 << 20, "wrote {written} bytes");
    }

    #[test]
    fn total_size_and_entry_count_limits_are_enforced() {
        let dir = tempfile::tempdir().unwrap();
        let noise: Vec<u8> = (0..600u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let zip = make_zip(dir.path(), &[("a.dcm", noise.clone()), ("b.dcm", noise)]);
        let limits = ZipLimits {
            max_total_bytes: 1000,
            ..ZipLimits::default()
        };
        let dest = dir.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        let err = extract(&zip, &dest, &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "upload.zip: zip expands to more than the limit of 1000 bytes"
        );
        let limits = ZipLimits {
            max_entries: 1,
            ..ZipLimits::default()
        };
        let err = extract(&zip, &dest, &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "upload.zip: zip has 2 entries, more than the limit of 1"
        );
    }

    #[test]
    fn a_truncated_zip_is_an_invalid_archive_error() {
        let dir = tempfile::tempdir().unwrap();
        let zip = make_zip(dir.path(), &[("a.dcm", vec![7u8; 5000])]);
        let bytes = std::fs::read(&zip).unwrap();
        std::fs::write(&zip, &bytes[..bytes.len() / 2]).unwrap();
        let err = extract(&zip, dir.path(), &ZipLimits::default()).unwrap_err();
        assert!(
            matches!(err, ArchiveError::Invalid { ref file, .. } if file == "upload.zip"),
            "{err}"
        );
        assert!(is_zip(&zip).unwrap());
    }
}
