//! The emulator's state as a document: every vendor's whole state as its fixture
//! files, so an export is a fixtures set (`--fixtures` loads it back, as a directory
//! or as this one file) and `POST /_emulator/state` swaps it in like a reset.
//!
//! The document is `{"format": 1, "vendors": {"<vendor>": {"<file>.json": <content>}}}`.
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
    fn a_document_of_another_format_is_refused_at_format() {
        let error = StateDocument::parse("s.json", r#"{"format": 2, "vendors": {}}"#).unwrap_err();
        assert_eq!((error.file.as_str(), error.path.as_str()), ("s.json", "$.format"));
        let error = StateDocument::parse("s.json", r#"{"format": 1, "vendors": {"acme": {}}}"#).unwrap_err();
        assert!(error.path.starts_with("$.vendors"), "{error}");
    }
}
