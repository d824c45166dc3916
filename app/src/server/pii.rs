//! Guests' personal data at rest: sealed values and blind indexes.
//!
//! Every personal field (client name, phone as typed and as E.164, e-mail,
//! wishes, notes, consent IP and user agent) is stored as
//! `pii1.<key id>.<base64url(nonce ‖ ciphertext)>`: XChaCha20-Poly1305 with
//! a random 192-bit nonce per value (safe to draw at random, unlike the
//! 96-bit one of ChaCha20-Poly1305) and the id of the key that sealed it, so
//! a keyring can open values of an older key while `server rotate-data-key`
//! re-seals them.
//!
//! Lookups cannot read sealed values, so they go through keyed hashes
//! (HMAC-SHA256 under a key of their own, derived from the server secret and
//! independent of the data key, so rotation leaves them valid):
//! - the E.164 phone and the lower-cased e-mail, for exact search and for
//!   grouping the client base;
//! - each normalised token of the name and each of its prefixes, truncated
//!   to 64 bits (CipherSweet's approach), for "starts with" name search.
//!
//! What the indexes reveal to someone holding the database alone: which
//! bookings share a phone, an e-mail, or a name token prefix (equality,
//! hence frequencies), and roughly how long a name is (its number of
//! prefix rows). Holding the index key too, phones (a small space) can be
//! recovered by trying every number, which is why that key never leaves the
//! server either.

use crate::error::AppError;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chacha20poly1305::{
    aead::{Aead, KeyInit},
    XChaCha20Poly1305, XNonce,
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::fmt;

/// The prefix of every sealed value.
pub const SEALED_PREFIX: &str = "pii1.";
/// Name tokens are indexed up to this many characters (longer ones are
/// searched by their first 24).
const TOKEN_MAX_CHARS: usize = 24;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// One data key and its id (the first 4 bytes of a hash of the key, so
/// the same key always has the same id on every instance).
struct DataKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl DataKey {
    fn new(key: &[u8; 32]) -> DataKey {
        let id = super::tokens::hex(&hmac(key, &[b"studio data key id"])[..4]);
        DataKey {
            id,
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }
}

/// The keys of personal data: the current data key (seals), older ones
/// (open only) and the blind-index key. Its `Debug` shows key ids only.
pub struct Vault {
    keys: Vec<DataKey>,
    index_key: [u8; 32],
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("current", &self.current_key_id())
            .field(
                "previous",
                &self.keys[1..]
                    .iter()
                    .map(|k| k.id.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A 32-byte data key derived from the server secret (used when
/// `STUDIO_DATA_KEY` is not set, and always accepted for opening).
pub fn derived_data_key(secret: &[u8]) -> [u8; 32] {
    hmac(secret, &[b"studio personal data key v1"])
}

/// Why a configured data key is not usable.
pub fn parse_data_key(raw: &str) -> Result<[u8; 32], String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .or_else(|_| URL_SAFE_NO_PAD.decode(raw.trim()))
        .map_err(|_| "not base64".to_owned())?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("{} bytes, 32 expected", bytes.len()))
}

impl Vault {
    /// `current` seals; `previous` (and the key derived from the secret)
    /// still open what they sealed. The index key is derived from `secret`.
    pub fn new(secret: &[u8], current: Option<[u8; 32]>, previous: &[[u8; 32]]) -> Vault {
        let derived = derived_data_key(secret);
        let mut keys = vec![DataKey::new(&current.unwrap_or(derived))];
        for k in previous.iter().chain(std::iter::once(&derived)) {
            let k = DataKey::new(k);
            if keys.iter().all(|have| have.id != k.id) {
                keys.push(k);
            }
        }
        Vault {
            keys,
            index_key: hmac(secret, &[b"studio blind index key v1"]),
        }
    }

    /// The id of the key new values are sealed with.
    pub fn current_key_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Seals `plain` under the current key with a fresh random nonce.
    pub fn seal(&self, plain: &str) -> String {
        let key = &self.keys[0];
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .expect("XChaCha20-Poly1305 seals any length we store");
        let mut raw = Vec::with_capacity(24 + sealed.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}.{}", key.id, URL_SAFE_NO_PAD.encode(raw))
    }

    pub fn seal_opt(&self, plain: Option<&str>) -> Option<String> {
        plain.map(|p| self.seal(p))
    }

    /// Opens a sealed value. A value that is not sealed, sealed by a key
    /// this server does not have, or altered is an internal error (logged
    /// with the key id only, never the value).
    pub fn open(&self, sealed: &str) -> Result<String, AppError> {
        let Some(rest) = sealed.strip_prefix(SEALED_PREFIX) else {
            tracing::error!("a personal-data column holds a value that is not sealed");
            return Err(AppError::Internal);
        };
        let (kid, body) = rest.split_once('.').ok_or(AppError::Internal)?;
        let Some(key) = self.keys.iter().find(|k| k.id == kid) else {
            tracing::error!(
                key_id = kid,
                "personal data sealed with a key this server does not have (set STUDIO_DATA_KEY_PREVIOUS)"
            );
            return Err(AppError::Internal);
        };
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| AppError::Internal)?;
        if raw.len() < 24 {
            return Err(AppError::Internal);
        }
        let (nonce, ct) = raw.split_at(24);
        let plain = key
            .cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| {
                tracing::error!(
                    key_id = kid,
                    "a sealed personal-data value fails authentication"
                );
                AppError::Internal
            })?;
        String::from_utf8(plain).map_err(|_| AppError::Internal)
    }

    pub fn open_opt(&self, sealed: Option<&str>) -> Result<Option<String>, AppError> {
        sealed.map(|s| self.open(s)).transpose()
    }

    /// Whether `value` is sealed under the current key (rotation skips it).
    pub fn is_current(&self, value: &str) -> bool {
        value
            .strip_prefix(SEALED_PREFIX)
            .and_then(|r| r.split_once('.'))
            .is_some_and(|(kid, _)| kid == self.current_key_id())
    }

    fn index(&self, domain: &str, value: &str, bytes: usize) -> String {
        super::tokens::hex(
            &hmac(
                &self.index_key,
                &[domain.as_bytes(), b"\0", value.as_bytes()],
            )[..bytes],
        )
    }

    /// The blind index of an E.164 phone number.
    pub fn phone_index(&self, e164: &str) -> String {
        self.index("phone", e164, 32)
    }

    /// The blind index of an e-mail address (trimmed, lower-cased).
    pub fn email_index(&self, email: &str) -> String {
        self.index("email", &email.trim().to_lowercase(), 32)
    }

    /// The index rows of a name: every prefix of every token.
    pub fn name_index(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for token in name_tokens(name) {
            let chars: Vec<char> = token.chars().take(TOKEN_MAX_CHARS).collect();
            for n in 1..=chars.len() {
                let prefix: String = chars[..n].iter().collect();
                out.push(self.index("name", &prefix, 8));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The index rows a name search must all find (one per token typed).
    pub fn name_query(&self, q: &str) -> Vec<String> {
        let mut out: Vec<String> = name_tokens(q)
            .into_iter()
            .map(|t| {
                let t: String = t.chars().take(TOKEN_MAX_CHARS).collect();
                self.index("name", &t, 8)
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A name's search tokens: Unicode lower case (Cyrillic included), `ё`
/// read as `е`, split at anything that is not a letter or digit.
pub fn name_tokens(name: &str) -> Vec<String> {
    name.to_lowercase()
        .replace('ё', "е")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether every token of `q` starts a token of `name` (the check after a
/// name-index lookup, which truncated hashes can answer falsely).
pub fn name_matches(name: &str, q: &str) -> bool {
    let have = name_tokens(name);
    name_tokens(q).iter().all(|want| {
        let want: String = want.chars().take(TOKEN_MAX_CHARS).collect();
        have.iter().any(|h| h.starts_with(&want))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::new(b"0123456789abcdef0123456789abcdef", None, &[])
    }

    #[test]
    fn seal_and_open_round_trip_with_fresh_nonces() {
        let v = vault();
        let a = v.seal("Анна Петрова");
        let b = v.seal("Анна Петрова");
        assert_ne!(a, b, "a random nonce per value");
        assert!(a.starts_with(&format!("{SEALED_PREFIX}{}.", v.current_key_id())));
        assert!(!a.contains("Анна"));
        assert_eq!(v.open(&a).unwrap(), "Анна Петрова");
        assert_eq!(v.open(&v.seal("")).unwrap(), "");
    }

    #[test]
    fn altered_unknown_or_clear_values_do_not_open() {
        let v = vault();
        let sealed = v.seal("+79161234567");
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(v.open(std::str::from_utf8(&altered).unwrap()).is_err());
        assert!(v.open("+79161234567").is_err());
        let other = Vault::new(b"another secret, another studio..", None, &[]);
        assert!(other.open(&sealed).is_err());
    }

    #[test]
    fn a_new_key_opens_values_of_the_previous_one() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let old = Vault::new(secret, Some([7u8; 32]), &[]);
        let sealed = old.seal("guest@example.com");
        let new = Vault::new(secret, Some([9u8; 32]), &[[7u8; 32]]);
        assert_ne!(old.current_key_id(), new.current_key_id());
        assert!(!new.is_current(&sealed));
        assert_eq!(new.open(&sealed).unwrap(), "guest@example.com");
        assert!(new.is_current(&new.seal("x")));
        // Without the previous key, it cannot.
        assert!(Vault::new(secret, Some([9u8; 32]), &[])
            .open(&sealed)
            .is_err());
        // The indexes do not depend on the data key.
        assert_eq!(
            old.phone_index("+79161234567"),
            new.phone_index("+79161234567")
        );
    }

    #[test]
    fn name_search_matches_prefixes_in_any_case_cyrillic_included() {
        let v = vault();
        let rows = v.name_index("Алёна Сергеевна ИВАНОВА");
        for q in ["ива", "ИВАНОВА", "Ален", "алёна серг", "а"] {
            for t in v.name_query(q) {
                assert!(rows.contains(&t), "{q} should find the name");
            }
            assert!(name_matches("Алёна Сергеевна ИВАНОВА", q));
        }
        assert!(!v.name_query("Петрова").iter().all(|t| rows.contains(t)));
        assert!(!name_matches("Алёна Иванова", "Петрова"));
        assert_eq!(
            v.email_index(" Guest@Example.COM "),
            v.email_index("guest@example.com")
        );
        assert_ne!(v.phone_index("+79161234567"), v.phone_index("+79161234568"));
    }

    #[test]
    fn data_keys_parse_from_base64_only_at_32_bytes() {
        let b64 = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        assert_eq!(parse_data_key(&b64).unwrap(), [1u8; 32]);
        assert!(parse_data_key("short").is_err());
        assert!(
            parse_data_key(&base64::engine::general_purpose::STANDARD.encode([1u8; 16])).is_err()
        );
        assert!(!format!("{:?}", vault()).contains("index_key"));
    }
}
