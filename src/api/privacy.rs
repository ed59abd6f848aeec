//! Linking submissions without holding identifiers: a prediction keeps salted SHA-256 hashes of the
//! DICOM StudyInstanceUID and SeriesInstanceUID, never the UIDs.

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::config::Secret;
use crate::store::{Store, StoreError};

/// Name of the generated salt in the store's service secrets.
const GENERATED_SALT: &str = "uid_salt";

/// Hex SHA-256 of `salt ‖ 0x00 ‖ uid`. The NUL cannot occur in a UID (digits and dots), so the
/// input splits back into salt and UID one way only.
pub fn uid_hash(salt: &Secret, uid: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.expose().as_bytes());
    hasher.update([0u8]);
    hasher.update(uid.as_bytes());
    hex::encode(hasher.finalize())
}

/// The configured salt; without one, the salt generated on first start and kept in the database,
/// so hashes keep linking across restarts (and across replicas sharing the database).
pub(super) async fn resolve_salt(configured: Option<&Secret>, store: &Store) -> Result<Secret, StoreError> {
    if let Some(salt) = configured {
        return Ok(salt.clone());
    }
    let candidate = hex::encode(rand::rng().random::<[u8; 32]>());
    let salt = store.secret_or_insert(GENERATED_SALT, &candidate).await?;
    tracing::warn!(
        "privacy.uid_salt is not configured: UID hashes use a random salt kept in the database; \
         set RADSCORE_UID_SALT to keep the salt outside it"
    );
    Ok(Secret::new(salt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_sha256_of_salt_nul_uid_as_coreutils_computes_it() {
        // printf 'pepper-0123456789\0001.2.840.113619.2.55.3' | sha256sum
        assert_eq!(
            uid_hash(&Secret::new("pepper-0123456789"), "1.2.840.113619.2.55.3"),
            "06bde9ad357c89072a6c637ae57cd4c1858f488d7d773e58303c5adf21626c0a"
        );
    }

    #[test]
    fn another_salt_or_uid_gives_another_hash() {
        let salt = Secret::new("pepper-0123456789");
        let base = uid_hash(&salt, "1.2.3.4");
        assert_ne!(uid_hash(&Secret::new("pepper-0123456780"), "1.2.3.4"), base);
        assert_ne!(uid_hash(&salt, "1.2.3.5"), base);
        assert_eq!(uid_hash(&salt, "1.2.3.4"), base);
    }
}
