//! The emulator's state as a document: every vendor's whole state as its fixture
//! files, so an export is a fixtures set (`--fixtures` loads it back, as a directory
//! or as this one file) and `POST /_emulator/state` swaps it in like a reset.
//!
//! The document is `{"format": 1, "vendors": {"<vendor>": {"<file>.json": <content>}}}`,
//! or the same files as a tar archive of a fixtures directory (`<vendor>/<file>.json`),
//! which unpacks into a directory `--fixtures DIR` reads.
//! Each vendor writes and reads its own files ([`EmulatedVendor::snapshot`] and
//! [`EmulatedVendor::restore`]); this module only wraps them, and renders load errors
//! as a file and a JSON path inside it. The clock, the journal and fault rules are
//! not state.

use std::{collections::BTreeMap, path::Path};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    Vendor,
    fixtures::{FixtureError, FixtureSet, parse_text},
    vendor::{EmulatedVendor, Restore},
};

/// The one version of the document.
pub const FORMAT: u32 = 1;

/// The whole state (or some vendors' state) as fixture files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateDocument {
    /// Always `1`.
    pub format: u32,
    /// Per vendor (`portalio`, `propal`, `holm`), its fixture files by name, each file's JSON content.
    #[schema(value_type = Object)]
    pub vendors: BTreeMap<Vendor, BTreeMap<String, Value>>,
}

impl StateDocument {
    /// The state of the given vendors.
    pub fn export<'a>(vendors: impl IntoIterator<Item = &'a dyn EmulatedVendor>) -> Self {
        let vendors = vendors.into_iter().map(|v| (v.vendor(), v.snapshot())).collect();
        Self { format: FORMAT, vendors }
    }

    /// Pretty JSON with a final newline: stable text, friendly to diffs in a repository.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a state document serializes");
        text.push('\n');
        text
    }

    /// The files as a tar archive of a fixtures directory: `<vendor>/<file>.json`, each
    /// pretty JSON with a final newline, every entry dated at the epoch so that equal
    /// states give equal archives.
    pub fn to_tar(&self) -> Vec<u8> {
        let mut archive = tar::Builder::new(Vec::new());
        for (vendor, files) in &self.vendors {
            let mut folder = tar::Header::new_ustar();
            folder.set_entry_type(tar::EntryType::Directory);
            folder.set_mode(0o755);
            folder.set_size(0);
            folder.set_mtime(0);
            archive.append_data(&mut folder, vendor.as_str(), std::io::empty()).expect("writing to memory");
            for (name, value) in files {
                let mut text = serde_json::to_string_pretty(value).expect("a fixture file serializes");
                text.push('\n');
                let mut header = tar::Header::new_ustar();
                header.set_mode(0o644);
                header.set_size(text.len() as u64);
                header.set_mtime(0);
                archive
                    .append_data(&mut header, format!("{}/{name}", vendor.as_str()), text.as_bytes())
                    .expect("writing to memory");
            }
        }
        archive.into_inner().expect("writing to memory")
    }

    /// Reads a tar archive of a fixtures directory, as `--fixtures DIR` reads the
    /// directory: each `<vendor>/<file>.json` (a leading `./` or one enclosing folder
    /// is fine); other entries are ignored. `file` names the archive in errors.
    pub fn from_tar(file: &str, bytes: &[u8]) -> Result<Self, FixtureError> {
        let unreadable = |e: std::io::Error| FixtureError::new(file, "$", format!("not a readable tar archive: {e}"));
        let mut vendors: BTreeMap<Vendor, BTreeMap<String, Value>> = BTreeMap::new();
        let mut archive = tar::Archive::new(bytes);
        for entry in archive.entries().map_err(unreadable)? {
            let mut entry = entry.map_err(unreadable)?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = entry.path().map_err(unreadable)?.into_owned();
            let parts: Vec<String> = path
                .components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect();
            let [.., folder, name] = parts.as_slice() else { continue };
            let Ok(vendor) = folder.parse::<Vendor>() else { continue };
            if Path::new(name).extension().is_none_or(|e| e != "json") {
                continue;
            }
            let shown = format!("{file}#{vendor}/{name}");
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text)
                .map_err(|_| FixtureError::new(&shown, "$", "the file is not UTF-8"))?;
            let value: Value = parse_text(&shown, &text)?;
            vendors.entry(vendor).or_default().insert(name.clone(), value);
        }
        if vendors.is_empty() {
            return Err(FixtureError::new(file, "$", "the archive holds no <vendor>/<file>.json entry"));
        }
        Ok(Self { format: FORMAT, vendors })
    }

    /// Parses a document's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, FixtureError> {
        let document: StateDocument = parse_text(file, text)?;
        if document.format != FORMAT {
            return Err(FixtureError::new(
                file,
                "$.format",
                format!("unknown format {} (expected {FORMAT})", document.format),
            ));
        }
        Ok(document)
    }

    /// The document's files as a fixture set, each named `<file>#<vendor>/<name>` (see [`locate`]).
    pub fn fixture_set(&self, file: &str) -> FixtureSet {
        let texts = self
            .vendors
            .iter()
            .map(|(vendor, files)| {
                let texts = files.iter().map(|(name, value)| (name.clone(), value.to_string())).collect();
                (*vendor, texts)
            })
            .collect();
        FixtureSet::from_texts(texts, |vendor, name| format!("{file}#{vendor}/{name}"))
    }

    /// Builds every vendor's state from the document (nothing changes yet), or the
    /// first error, located in the document.
    pub fn prepare<'a>(
        &self,
        file: &str,
        vendors: &'a [std::sync::Arc<dyn EmulatedVendor>],
    ) -> Result<Vec<(Vendor, Restore<'a>)>, FixtureError> {
        let set = self.fixture_set(file);
        let mut prepared = Vec::new();
        for vendor in vendors.iter().filter(|v| self.vendors.contains_key(&v.vendor())) {
            let restore = vendor.restore(&set).map_err(|e| locate(missing_in(file, e)))?;
            prepared.push((vendor.vendor(), restore));
        }
        Ok(prepared)
    }
}

/// Rewrites an error about `<file>#<vendor>/<name>` at `$.x` into one about `<file>` at
/// `$.vendors.<vendor>["<name>"].x`: the place in the document a user opens.
pub fn locate(error: FixtureError) -> FixtureError {
    let Some((file, inner)) = error.file.split_once('#') else { return error };
    let Some((vendor, name)) = inner.split_once('/') else { return error };
    let rest = error.path.strip_prefix('$').unwrap_or(&error.path);
    FixtureError::new(file, format!("$.vendors.{vendor}[\"{name}\"]{rest}"), error.reason)
}

/// A missing file is reported as `<vendor>/<name>`: name the document it is missing from.
fn missing_in(file: &str, error: FixtureError) -> FixtureError {
    let is_bare = !error.file.contains('#')
        && error.file.split_once('/').is_some_and(|(vendor, _)| vendor.parse::<Vendor>().is_ok());
    if is_bare { FixtureError::new(format!("{file}#{}", error.file), error.path, error.reason) } else { error }
}

/// `--fixtures PATH`: a fixtures directory, or a state document file (an export).
pub fn load_fixtures(path: &Path) -> Result<FixtureSet, FixtureError> {
    if !path.is_file() {
        return FixtureSet::with_dir(path);
    }
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| FixtureError::new(&shown, "$", e.to_string()))?;
    let document = StateDocument::parse(&shown, &text).map_err(|e| {
        let reason = format!("not a directory, and not a state document (an export of /_emulator/state): {}", e.reason);
        FixtureError::new(e.file, e.path, reason)
    })?;
    Ok(FixtureSet::embedded().overlaid_with(document.fixture_set(&shown)))
}

/// Makes vendor load errors point into the document when `--fixtures` named one.
pub fn locate_anyhow(error: FixtureError) -> anyhow::Error {
    anyhow::Error::new(locate(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_inside_a_document_name_the_document_and_the_full_path() {
        let error = FixtureError::new("state.json#propal/leads.json", "$.leads[3].email", "invalid type");
        let located = locate(error);
        assert_eq!(located.file, "state.json");
        assert_eq!(located.path, "$.vendors.propal[\"leads.json\"].leads[3].email");
        let plain = FixtureError::new("fixtures/propal/leads.json", "$", "missing");
        assert_eq!(locate(plain.clone()), plain);
    }

    #[test]
    fn a_tar_export_reads_back_as_the_same_document_and_names_a_broken_file() {
        let mut files = BTreeMap::new();
        files.insert("leads.json".to_owned(), serde_json::json!({ "leads": [] }));
        let document = StateDocument { format: FORMAT, vendors: BTreeMap::from([(Vendor::Propal, files)]) };
        let archive = document.to_tar();
        assert_eq!(StateDocument::from_tar("a.tar", &archive).unwrap(), document);
        assert_eq!(archive, document.to_tar(), "equal states give equal archives");

        let mut broken = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_ustar();
        header.set_size(9);
        header.set_mode(0o644);
        broken.append_data(&mut header, "./propal/leads.json", &b"{\"leads\":"[..]).unwrap();
        let error = StateDocument::from_tar("a.tar", &broken.into_inner().unwrap()).unwrap_err();
        assert_eq!(error.file, "a.tar#propal/leads.json", "{error}");
        assert_eq!(locate(error).path, "$.vendors.propal[\"leads.json\"].leads");

        let error = StateDocument::from_tar("a.tar", b"not a tar archive at all").unwrap_err();
        assert_eq!(error.file, "a.tar", "{error}");
    }

    #[test]
    fn a_document_of_another_format_is_refused_at_format() {
        let error = StateDocument::parse("s.json", r#"{"format": 2, "vendors": {}}"#).unwrap_err();
        assert_eq!((error.file.as_str(), error.path.as_str()), ("s.json", "$.format"));
        let error = StateDocument::parse("s.json", r#"{"format": 1, "vendors": {"acme": {}}}"#).unwrap_err();
        assert!(error.path.starts_with("$.vendors"), "{error}");
    }
}
