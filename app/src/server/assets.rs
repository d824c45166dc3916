//! The files pages link to. The stylesheet and the staff app are built by
//! cargo-leptos into `pkg/`, with content hashes in their names when
//! `hash.txt` lies next to the server binary (release builds); the guest
//! pages' one small script is part of the binary and named by its own
//! hash. Hashed names never change content, so they are cached for a year.

use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The guest pages' script, as written in `ui/guest.js`.
const GUEST_JS: &str = include_str!("../ui/guest.js");

/// The guest script: its address and its text.
pub struct GuestScript {
    pub path: String,
    pub body: &'static str,
}

/// The guest script, named `/assets/guest.<hash>.js`.
pub fn guest_script() -> &'static GuestScript {
    static SCRIPT: OnceLock<GuestScript> = OnceLock::new();
    SCRIPT.get_or_init(|| {
        let digest = super::tokens::hex(&Sha256::digest(GUEST_JS.as_bytes()));
        GuestScript {
            path: format!("/assets/guest.{}.js", &digest[..16]),
            body: GUEST_JS,
        }
    })
}

/// The names cargo-leptos gave the built files: `css`, `js` and `wasm`
/// hashes from `hash.txt` beside the binary, if there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuiltNames {
    pub css_hash: Option<String>,
}

impl BuiltNames {
    /// Reads `hash.txt` next to the running binary (once).
    pub fn of_this_binary() -> &'static BuiltNames {
        static NAMES: OnceLock<BuiltNames> = OnceLock::new();
        NAMES.get_or_init(|| {
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|d| d.join("hash.txt")))
                .and_then(|path| std::fs::read_to_string(path).ok())
                .map(|text| BuiltNames::parse(&text))
                .unwrap_or_default()
        })
    }

    fn parse(text: &str) -> BuiltNames {
        let hash = |kind: &str| {
            text.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == kind).then(|| v.trim().to_owned())
            })
        };
        BuiltNames {
            css_hash: hash("css"),
        }
    }

    /// Whether cargo-leptos hashed the file names of this build.
    pub fn hashed(&self) -> bool {
        self.css_hash.is_some()
    }

    /// The stylesheet's address.
    pub fn stylesheet(&self, output_name: &str) -> String {
        match &self.css_hash {
            Some(h) => format!("/pkg/{output_name}.{h}.css"),
            None => format!("/pkg/{output_name}.css"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guest_script_is_named_by_its_content_and_stays_small() {
        let s = guest_script();
        assert!(s.path.starts_with("/assets/guest.") && s.path.ends_with(".js"));
        assert_eq!(s.path.len(), "/assets/guest.".len() + 16 + ".js".len());
        assert!(s.body.len() < 20_000, "the guest budget is 20 KB of script");
    }

    #[test]
    fn the_hash_file_names_the_stylesheet() {
        let names = BuiltNames::parse("js: abc\nwasm: def\ncss: Xy-z_1\n");
        assert_eq!(names.stylesheet("studio"), "/pkg/studio.Xy-z_1.css");
        assert!(names.hashed());
        assert_eq!(
            BuiltNames::default().stylesheet("studio"),
            "/pkg/studio.css"
        );
    }
}
