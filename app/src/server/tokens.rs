//! Signed links for guests: a booking's manage token is its id and an
//! HMAC-SHA256 tag over it, keyed with the server secret. Holding the link
//! is the guest's only credential, so the tag is 128 bits and compared in
//! constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;
const PURPOSE: &[u8] = b"studio-crm/manage-booking/v1:";
const TAG_BYTES: usize = 16;

fn mac(key: &[u8], id: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(PURPOSE);
    mac.update(id.as_bytes());
    mac
}

/// The token for a booking id (a UUID).
pub fn manage_token(key: &[u8], booking_id: &str) -> String {
    let tag = mac(key, booking_id).finalize().into_bytes();
    let id = booking_id.replace('-', "");
    format!("{id}{}", hex(&tag[..TAG_BYTES]))
}

/// The booking id a token was issued for, if the token is genuine.
pub fn verify_manage_token(key: &[u8], token: &str) -> Option<String> {
    if token.len() != 32 + TAG_BYTES * 2 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let (id_hex, tag_hex) = token.split_at(32);
    let id = format!(
        "{}-{}-{}-{}-{}",
        &id_hex[0..8],
        &id_hex[8..12],
        &id_hex[12..16],
        &id_hex[16..20],
        &id_hex[20..32]
    )
    .to_ascii_lowercase();
    let tag = unhex(tag_hex)?;
    mac(key, &id).verify_truncated_left(&tag).ok()?;
    Some(id)
}

/// A key for one purpose, derived from the server secret (HMAC-SHA256 of
/// the purpose under the secret), so no two uses share a key.
pub fn derive_key(secret: &[u8], purpose: &str) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Whether two byte strings are equal, in time that depends only on
/// their lengths (for comparing secrets).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lower-case hex of `bytes` (tokens, hashes and sealed secrets are
/// stored and sent as hex).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hex string, or `None` if it is not one.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a test key that is long enough!!";
    const ID: &str = "0193a5b2-7c4d-4e8f-9a1b-2c3d4e5f6a7b";

    #[test]
    fn a_token_leads_back_to_its_booking() {
        let token = manage_token(KEY, ID);
        assert_eq!(token.len(), 64);
        assert_eq!(verify_manage_token(KEY, &token).as_deref(), Some(ID));
    }

    #[test]
    fn a_tampered_or_foreign_token_is_refused() {
        let token = manage_token(KEY, ID);
        let mut chars: Vec<char> = token.chars().collect();
        chars[40] = if chars[40] == 'a' { 'b' } else { 'a' };
        let tampered: String = chars.into_iter().collect();
        assert_eq!(verify_manage_token(KEY, &tampered), None);
        assert_eq!(
            verify_manage_token(b"another key entirely, also long", &token),
            None
        );
        assert_eq!(verify_manage_token(KEY, "not-a-token"), None);
        // Another booking's id with this booking's tag.
        let other = manage_token(KEY, "0193a5b2-7c4d-4e8f-9a1b-2c3d4e5f6a7c");
        let forged = format!("{}{}", &other[..32], &token[32..]);
        assert_eq!(verify_manage_token(KEY, &forged), None);
    }
}
