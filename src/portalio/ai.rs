//! The AI Builder's records and its deterministic "AI" (reference §5.8, CONTRACT §5.1).
//!
//! Progress runs on the emulator clock: content is `Uploaded` and becomes
//! `Transcribed` [`TRANSCRIBE_SECONDS`] after upload (read from the clock, no job);
//! an outline is `Generating` for [`OUTLINE_SECONDS`] and a build `Building` for
//! [`BUILD_SECONDS`], each finished by a scheduler job that fires the webhooks.
//!
//! INFERRED: the outline and the build are pure functions of the transcribed text
//! and the catalog, so tests can assert on them. The text is split into sentences;
//! a sentence naming a room (longest name first, from [`ROOMS`]) starts or continues
//! that area, one naming none continues the previous area ("Whole Home" before any);
//! in an area's sentences each equipment word of [`EQUIPMENT`] adds the first catalog
//! item whose short description holds the matching term, with the number word or
//! digits just before it as the quantity (else 1); an area with parts gets one hour
//! of the catalog's installation labor per part.

use std::{collections::BTreeMap, fmt::Write};

use jiff::{SignedDuration, Timestamp};

use super::model::{CatalogItem, ItemType};

/// CONTRACT §5.1: content is transcribed 2 s after upload.
pub const TRANSCRIBE_SECONDS: i64 = 2;
/// CONTRACT §5.1: an outline completes 5 s after it was requested.
pub const OUTLINE_SECONDS: i64 = 5;
/// CONTRACT §5.1: a build completes 10 s after it was requested.
pub const BUILD_SECONDS: i64 = 10;

/// Room names that make areas, longest first so "Master Bedroom" wins over "Bedroom".
pub const ROOMS: [&str; 18] = [
    "Conference Room",
    "Master Bedroom",
    "Family Room",
    "Living Room",
    "Dining Room",
    "Home Theater",
    "Media Room",
    "Backyard",
    "Basement",
    "Bedroom",
    "Kitchen",
    "Theater",
    "Office",
    "Garage",
    "Patio",
    "Lobby",
    "Gym",
    "Den",
];

/// Equipment words and the catalog short-description term each adds.
pub const EQUIPMENT: [(&[&str], &str); 12] = [
    (&["tv", "tvs", "television", "televisions"], "TV"),
    (&["projector", "projectors"], "Projector"),
    (&["speaker", "speakers"], "In-Ceiling Speaker"),
    (&["receiver", "receivers", "surround"], "AV Receiver"),
    (&["amplifier", "amplifiers", "amp", "amps"], "Amplifier"),
    (&["wifi", "wi-fi", "wireless"], "Access Point"),
    (&["router", "routers", "internet"], "Router"),
    (&["switch", "switches"], "Switch"),
    (&["camera", "cameras", "surveillance"], "Camera"),
    (&["nvr", "recorder"], "NVR"),
    (&["mount", "mounts"], "Wall Mount"),
    (&["rack", "racks"], "rack"),
];

const NUMBER_WORDS: [&str; 12] =
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"];

/// Content status (reference §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = PortalioAiContentStatus)]
pub enum ContentStatus {
    Uploaded,
    Processing,
    Transcribed,
    Invalid,
}

/// Source file type (reference §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = PortalioAiSourceType)]
pub enum SourceType {
    Text,
    Audio,
    Video,
}

/// Outline status (reference §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = PortalioAiOutlineStatus)]
pub enum OutlineStatus {
    Generating,
    Completed,
    Failed,
}

/// Build status: `Building` is documented; INFERRED `Completed` and `Failed` when done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = PortalioAiBuildStatus)]
pub enum BuildStatus {
    Building,
    Completed,
    Failed,
}

/// One uploaded piece of content (also its record in `ai_builder.json`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Content {
    pub id: u64,
    pub name: String,
    pub source_type: SourceType,
    /// What the "transcription" yields: the text, or an audio/video file's bytes read as UTF-8 (INFERRED).
    pub text: String,
    pub created_date: Timestamp,
    pub user_id: u64,
}

impl Content {
    pub fn status(&self, now: Timestamp) -> ContentStatus {
        if now >= self.created_date + SignedDuration::from_secs(TRANSCRIBE_SECONDS) {
            ContentStatus::Transcribed
        } else {
            ContentStatus::Uploaded
        }
    }

    /// Empty until transcribed; then the first sentence, at most 200 characters.
    pub fn summary(&self, now: Timestamp) -> String {
        if self.status(now) != ContentStatus::Transcribed {
            return String::new();
        }
        sentences(&self.text).into_iter().next().unwrap_or_default().chars().take(200).collect()
    }
}

/// An outline being generated or done.
#[derive(Clone, Debug)]
pub struct Outline {
    pub status: OutlineStatus,
    /// Which request this is: a job finishing an older one does nothing.
    pub seq: u64,
    pub plan: Plan,
    pub markdown: String,
}

/// A build under way or done.
#[derive(Clone, Debug)]
pub struct Build {
    pub status: BuildStatus,
    pub seq: u64,
}

/// A proposal's AI Builder state.
#[derive(Clone, Debug, Default)]
pub struct ProposalAi {
    pub contents: BTreeMap<u64, Content>,
    pub outline: Option<Outline>,
    pub build: Option<Build>,
}

/// `ai_builder.json` (optional): each proposal's uploaded content and finished outline.
/// An outline still generating and a build under way are not kept (their jobs are
/// not state; what a finished build added is in the proposal's areas).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiBuilderFile {
    pub proposals: Vec<SavedProposalAi>,
}

/// One proposal's AI Builder record in `ai_builder.json`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedProposalAi {
    pub proposal_id: u64,
    pub contents: Vec<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline: Option<SavedOutline>,
}

/// A finished outline: what the build will add, and the markdown shown for it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedOutline {
    pub plan: Plan,
    pub markdown: String,
}

impl SavedProposalAi {
    /// What a proposal's state keeps across an export, or `None` when nothing.
    pub fn of(proposal_id: u64, ai: &ProposalAi) -> Option<Self> {
        let outline = ai
            .outline
            .as_ref()
            .filter(|o| o.status == OutlineStatus::Completed)
            .map(|o| SavedOutline { plan: o.plan.clone(), markdown: o.markdown.clone() });
        (!ai.contents.is_empty() || outline.is_some()).then(|| Self {
            proposal_id,
            contents: ai.contents.values().cloned().collect(),
            outline,
        })
    }

    /// Back into a proposal's AI Builder state (a restored outline is completed, seq 0).
    pub fn restore(&self) -> ProposalAi {
        ProposalAi {
            contents: self.contents.iter().map(|c| (c.id, c.clone())).collect(),
            outline: self.outline.as_ref().map(|o| Outline {
                status: OutlineStatus::Completed,
                seq: 0,
                plan: o.plan.clone(),
                markdown: o.markdown.clone(),
            }),
            build: None,
        }
    }
}

/// What the build adds: areas with catalog items and quantities.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub areas: Vec<PlanArea>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanArea {
    pub name: String,
    /// (catalog item id, quantity), in order of first mention.
    pub items: Vec<(u64, f64)>,
}

/// Sentences: split at `.`, `!`, `?` and line ends, trimmed, non-empty.
fn sentences(text: &str) -> Vec<String> {
    text.split(['.', '!', '?', '\n', '\r']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn words(sentence: &str) -> Vec<String> {
    sentence
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn room_of(sentence: &str) -> Option<&'static str> {
    let lower = format!(" {} ", words(sentence).join(" "));
    ROOMS.iter().find(|room| lower.contains(&format!(" {} ", room.to_lowercase()))).copied()
}

fn quantity(word: Option<&String>) -> f64 {
    let Some(word) = word else { return 1.0 };
    if let Ok(n) = word.parse::<u32>() {
        return f64::from(n.clamp(1, 100));
    }
    NUMBER_WORDS.iter().position(|n| n == word).map_or(1.0, |n| f64::from(u32::try_from(n).unwrap_or(1).max(1)))
}

/// The plan for `text` against `catalog`.
pub fn plan(text: &str, catalog: &[CatalogItem]) -> Plan {
    let mut areas: Vec<PlanArea> = Vec::new();
    let mut current: Option<usize> = None;
    for sentence in sentences(text) {
        let index = if let Some(room) = room_of(&sentence) {
            areas.iter().position(|a| a.name == room).unwrap_or_else(|| {
                areas.push(PlanArea { name: room.to_owned(), items: Vec::new() });
                areas.len() - 1
            })
        } else if let Some(i) = current {
            i
        } else {
            areas.push(PlanArea { name: "Whole Home".to_owned(), items: Vec::new() });
            areas.len() - 1
        };
        current = Some(index);
        let tokens = words(&sentence);
        for (i, token) in tokens.iter().enumerate() {
            let Some((_, term)) = EQUIPMENT.iter().find(|(keys, _)| keys.contains(&token.as_str())) else { continue };
            let term = term.to_lowercase();
            let Some(item) = catalog
                .iter()
                .find(|c| c.item_type == ItemType::Part && c.short_description.to_lowercase().contains(&term))
                .or_else(|| catalog.iter().find(|c| c.short_description.to_lowercase().contains(&term)))
            else {
                continue;
            };
            let qty = quantity(i.checked_sub(1).and_then(|p| tokens.get(p)));
            let items = &mut areas[index].items;
            match items.iter_mut().find(|(id, _)| *id == item.id) {
                Some(entry) => entry.1 += qty,
                None => items.push((item.id, qty)),
            }
        }
    }
    let labor = catalog
        .iter()
        .find(|c| c.item_type == ItemType::Labor && c.short_description.to_lowercase().contains("installation"));
    if let Some(labor) = labor {
        for area in &mut areas {
            let parts: f64 = area
                .items
                .iter()
                .filter(|(id, _)| catalog.iter().any(|c| c.id == *id && c.item_type == ItemType::Part))
                .map(|(_, q)| q)
                .sum();
            if parts > 0.0 {
                area.items.push((labor.id, parts));
            }
        }
    }
    Plan { areas }
}

/// The outline's Markdown.
pub fn render(plan: &Plan, catalog: &[CatalogItem]) -> String {
    let items: usize = plan.areas.iter().map(|a| a.items.len()).sum();
    let mut out = format!(
        "## Executive Summary\n{} area(s) and {items} line item(s) drawn from the uploaded content.\n",
        plan.areas.len()
    );
    for area in &plan.areas {
        let _ = write!(out, "\n## {}\n", area.name);
        if area.items.is_empty() {
            out.push_str("- No equipment identified.\n");
        }
        for (id, qty) in &area.items {
            if let Some(item) = catalog.iter().find(|c| c.id == *id) {
                let _ = writeln!(out, "- {qty} x {} {}: {}", item.brand, item.model, item.short_description);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: u64, item_type: ItemType, short: &str) -> CatalogItem {
        CatalogItem {
            id,
            item_type,
            brand: "B".into(),
            model: format!("M{id}"),
            short_description: short.into(),
            description: String::new(),
            parent_category_id: 1,
            category_id: 1,
            msrp: 100.0,
            cost: 50.0,
            supplier: "S".into(),
            in_stock: true,
            is_favorite: false,
            is_discontinued: false,
            specs: Vec::new(),
        }
    }

    #[test]
    fn rooms_make_areas_and_equipment_words_pick_catalog_items_with_quantities() {
        let catalog = vec![
            item(1, ItemType::Part, "85in Smart TV"),
            item(2, ItemType::Part, "6in In-Ceiling Speaker (pair)"),
            item(3, ItemType::Labor, "Installation labor (per hour)"),
        ];
        let text =
            "The client wants a TV in the Living Room. Add four speakers there too!\nThe Master Bedroom gets 2 TVs.";
        let plan = plan(text, &catalog);
        assert_eq!(
            plan.areas,
            vec![
                PlanArea { name: "Living Room".into(), items: vec![(1, 1.0), (2, 4.0), (3, 5.0)] },
                PlanArea { name: "Master Bedroom".into(), items: vec![(1, 2.0), (3, 2.0)] },
            ]
        );
        assert_eq!(super::plan(text, &catalog), plan, "the same text gives the same plan");
        assert!(render(&plan, &catalog).starts_with("## Executive Summary\n2 area(s) and 5 line item(s)"));
    }

    #[test]
    fn text_without_rooms_is_one_whole_home_area() {
        let plan = plan("Just some notes", &[]);
        assert_eq!(plan.areas, vec![PlanArea { name: "Whole Home".into(), items: vec![] }]);
    }
}
