//! Fixture files: `fixtures/<vendor>/*.json`, embedded in the binary, or read from
//! `--fixtures DIR` where a vendor folder present in DIR replaces that vendor's
//! embedded set (CONTRACT §7).
//!
//! This module only finds and parses files; each vendor owns its schema and its
//! cross-checks. A broken file stops start-up with a [`FixtureError`] that names
//! the file, the JSON path inside it and the reason.

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
};

use include_dir::{Dir, include_dir};
use serde::de::DeserializeOwned;

use crate::Vendor;

/// `fixtures/`'s JSON files, minified by `build.rs`.
static EMBEDDED: Dir<'static> = include_dir!("$OUT_DIR/fixtures");

/// Why a fixture set cannot be loaded: which file, where inside it, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct FixtureError {
    /// The file as the user knows it: `fixtures/propal/keys.json` or the path under `--fixtures`.
    pub file: String,
    /// A JSON path such as `$.keys[2].scopes[0]`; `$` for the whole file.
    pub path: String,
    pub reason: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fixture {} at {}: {}", self.file, self.path, self.reason)
    }
}

impl FixtureError {
    pub fn new(file: impl Into<String>, path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { file: file.into(), path: path.into(), reason: reason.into() }
    }
}

/// One fixture file's name and text.
#[derive(Clone, Debug)]
pub struct FixtureFile {
    /// What errors call it.
    pub display_name: String,
    pub text: String,
}

/// Every vendor's fixture files, by file name (`keys.json`).
#[derive(Clone, Debug, Default)]
pub struct FixtureSet {
    files: BTreeMap<Vendor, BTreeMap<String, FixtureFile>>,
}

impl FixtureSet {
    /// The set compiled into the binary.
    pub fn embedded() -> Self {
        let mut set = Self::default();
        for vendor in Vendor::ALL {
            let Some(dir) = EMBEDDED.get_dir(vendor.as_str()) else { continue };
            let files = dir
                .files()
                .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
                .map(|f| {
                    let name = f.path().file_name().unwrap_or_default().to_string_lossy().into_owned();
                    let file = FixtureFile {
                        display_name: format!("fixtures/{}", f.path().display()),
                        text: f.contents_utf8().unwrap_or_default().to_owned(),
                    };
                    (name, file)
                })
                .collect();
            set.files.insert(vendor, files);
        }
        set
    }

    /// The embedded set with every vendor folder found in `dir` replacing that vendor's files.
    pub fn with_dir(dir: &Path) -> Result<Self, FixtureError> {
        let shown = dir.display().to_string();
        if !dir.is_dir() {
            let reason = if dir.exists() { "not a directory" } else { "no such directory" };
            return Err(FixtureError::new(shown, "$", reason));
        }
        // An unreadable directory is an error, never a silent fall-back to the embedded set.
        std::fs::read_dir(dir)
            .map_err(|e| FixtureError::new(&shown, "$", format!("cannot read the directory: {e}")))?;
        let mut set = Self::embedded();
        for vendor in Vendor::ALL {
            let folder = dir.join(vendor.as_str());
            match std::fs::metadata(&folder) {
                Ok(metadata) if metadata.is_dir() => {}
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(FixtureError::new(folder.display().to_string(), "$", e.to_string()));
                }
                _ => continue,
            }
            let mut files = BTreeMap::new();
            let entries = std::fs::read_dir(&folder)
                .map_err(|e| FixtureError::new(folder.display().to_string(), "$", e.to_string()))?;
            let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.sort();
            for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
                let display_name = path.display().to_string();
                let bytes = std::fs::read(&path).map_err(|e| FixtureError::new(&display_name, "$", e.to_string()))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| FixtureError::new(&display_name, "$", "the file is not UTF-8"))?;
                let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                files.insert(name, FixtureFile { display_name, text });
            }
            set.files.insert(vendor, files);
        }
        Ok(set)
    }

    /// Files held in memory (a state document), by vendor and name; `display` names
    /// each file in errors. Vendors not given fall back to nothing, not the embedded set.
    pub fn from_texts(
        texts: BTreeMap<Vendor, BTreeMap<String, String>>,
        display: impl Fn(Vendor, &str) -> String,
    ) -> Self {
        let files = texts
            .into_iter()
            .map(|(vendor, files)| {
                let files = files
                    .into_iter()
                    .map(|(name, text)| {
                        let display_name = display(vendor, &name);
                        (name, FixtureFile { display_name, text })
                    })
                    .collect();
                (vendor, files)
            })
            .collect();
        Self { files }
    }

    /// This set with `other`'s vendors replacing its own (a vendor's files whole).
    #[must_use]
    pub fn overlaid_with(mut self, other: FixtureSet) -> Self {
        self.files.extend(other.files);
        self
    }

    /// The vendors this set has files for.
    pub fn vendors(&self) -> impl Iterator<Item = Vendor> + '_ {
        self.files.keys().copied()
    }

    /// Like [`FixtureSet::parse`], but a missing file is `None` (files added to the format later).
    pub fn parse_optional<T: DeserializeOwned>(&self, vendor: Vendor, name: &str) -> Result<Option<T>, FixtureError> {
        match self.files.get(&vendor).and_then(|files| files.get(name)) {
            Some(file) => parse_text(&file.display_name, &file.text).map(Some),
            None => Ok(None),
        }
    }

    /// Parses `vendor/name` into `T`; a missing file is an error.
    pub fn parse<T: DeserializeOwned>(&self, vendor: Vendor, name: &str) -> Result<T, FixtureError> {
        let file = self
            .files
            .get(&vendor)
            .and_then(|files| files.get(name))
            .ok_or_else(|| FixtureError::new(format!("{}/{name}", vendor.as_str()), "$", "the file is missing"))?;
        parse_text(&file.display_name, &file.text)
    }

    /// The display name of `vendor/name`, for cross-check errors.
    pub fn display_name(&self, vendor: Vendor, name: &str) -> String {
        self.files
            .get(&vendor)
            .and_then(|files| files.get(name))
            .map_or_else(|| format!("{}/{name}", vendor.as_str()), |f| f.display_name.clone())
    }

    /// Every file of a vendor: (name, text).
    pub fn files(&self, vendor: Vendor) -> impl Iterator<Item = (&str, &FixtureFile)> {
        self.files.get(&vendor).into_iter().flat_map(|files| files.iter().map(|(n, f)| (n.as_str(), f)))
    }
}

/// Parses JSON text, reporting the JSON path of the first problem.
pub fn parse_text<T: DeserializeOwned>(display_name: &str, text: &str) -> Result<T, FixtureError> {
    serde_json::from_str(text).map_err(|error| {
        FixtureError::new(display_name, crate::json_path::at(text, error.line(), error.column()), error.to_string())
    })
}

/// SHA-256 of `raw`, lowercase hex: how Propal and Holm keys are stored.
pub fn sha256_hex(raw: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(raw.as_bytes()))
}

/// Checks that a raw credential listed for `/_emulator/credentials` hashes to the stored hash.
pub fn check_raw_matches_hash(file: &str, path: &str, raw: &str, stored_hash: &str) -> Result<(), FixtureError> {
    if sha256_hex(raw).eq_ignore_ascii_case(stored_hash) {
        Ok(())
    } else {
        Err(FixtureError::new(file, path, "the raw value does not hash (SHA-256, hex) to the stored key_hash"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        keys: Vec<Key>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Key {
        id: String,
        scopes: Vec<u8>,
    }

    #[test]
    fn parse_error_names_file_path_and_reason() {
        let text = r#"{"keys":[{"id":"a","scopes":[1]},{"id":"b","scopes":[1,"x"]}]}"#;
        let error = parse_text::<Doc>("fixtures/propal/keys.json", text).unwrap_err();
        assert_eq!(error.file, "fixtures/propal/keys.json");
        assert_eq!(error.path, "$.keys[1].scopes[1]");
        assert!(error.reason.contains("invalid type"), "{}", error.reason);
    }

    #[test]
    fn syntax_error_is_reported_at_the_root() {
        let error = parse_text::<Doc>("f.json", "{\"keys\": [").unwrap_err();
        assert!(error.reason.contains("EOF"), "{}", error.reason);
    }

    #[test]
    fn embedded_set_has_every_vendor() {
        let set = FixtureSet::embedded();
        for vendor in Vendor::ALL {
            assert!(set.files(vendor).next().is_some(), "{vendor} has no embedded fixtures");
        }
    }
}
