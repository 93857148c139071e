//! Themes: list, create, get, patch, delete. REST theming is "CRUD only" (docs:
//! MCP introduction); the shape is INFERRED from the MCP theming model (reference
//! §6.5): a palette (`colors`), title and body fonts, a radius and a button
//! radius, and up to three `section_styles`.
//!
//! A theme that a proposal of the organization uses cannot be deleted
//! (MCP `delete_theme`); on REST that is a 400 `validation_error` (CONTRACT §5.2).

use std::collections::BTreeSet;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, RawQuery},
    http::StatusCode,
};
use serde_json::{Map, Value};

use crate::propal::{
    auth::{Caller, Scope},
    error::{Detail, PropalError},
    input::{Fields, MAX_TEXT, kind, object, query_pairs},
    model::{SectionStyle, Theme, ThemeColors, millis},
    pagination::{PageRequest, page},
};

/// The MCP theming page's example fonts and radii, INFERRED as the defaults.
const DEFAULT_FONT: &str = "inter";
const DEFAULT_RADIUS: f64 = 0.8;
const DEFAULT_BUTTON_RADIUS: f64 = 0.5;
/// INFERRED: the largest radius (the documented examples are 0.8 and 0.5, in rem).
const MAX_RADIUS: f64 = 10.0;
/// Documented: about three section ambiences; INFERRED as a hard maximum.
const MAX_SECTION_STYLES: usize = 3;
/// Documented: a section style id has 1–32 characters.
const MAX_STYLE_ID: usize = 32;
/// INFERRED: a font name is a short identifier such as `inter`.
const MAX_FONT: usize = 64;
const PALETTE: [&str; 3] = ["page_bg", "accent", "text"];

pub async fn list_themes(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::ThemesRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    let data = caller.org.data();
    let rows = data.themes.values().map(|theme| (theme.id, theme.created_at, theme)).collect();
    Ok(Json(page(rows, request, &data.created_at_of, |theme| serde_json::to_value(theme).unwrap_or_default())?))
}

pub async fn create_theme(caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Theme>), PropalError> {
    caller.require(Scope::ThemesWrite)?;
    let body = object(&body)?;
    let mut fields = Fields::new(&body);
    let name = fields.string("name", true, 1, MAX_TEXT);
    let mut changes = read_changes(&mut fields, &body, true);
    fields.finish()?;
    let colors = changes.colors.take().ok_or_else(|| PropalError::Internal("colors passed the check".into()))?;
    let now = millis(caller.now);
    let mut theme = Theme {
        id: caller.store.ids.uuid(),
        name: name.unwrap_or_default(),
        colors,
        title_font: DEFAULT_FONT.to_owned(),
        body_font: DEFAULT_FONT.to_owned(),
        radius: DEFAULT_RADIUS,
        button_radius: DEFAULT_BUTTON_RADIUS,
        // INFERRED: a theme made without section styles has none (sections use the palette).
        section_styles: Vec::new(),
        created_at: now,
        updated_at: None,
    };
    changes.apply(&mut theme);
    let mut data = caller.org.data();
    data.add(theme.clone());
    Ok((StatusCode::CREATED, Json(theme)))
}

pub async fn get_theme(caller: Caller, Path(id): Path<String>) -> Result<Json<Theme>, PropalError> {
    caller.record::<Theme>(Scope::ThemesRead, &id).map(Json)
}

/// INFERRED: every field is optional and replaces the stored one whole (`colors` and
/// `section_styles` included); none of them can be null.
pub async fn update_theme(caller: Caller, Path(id): Path<String>, body: Bytes) -> Result<Json<Theme>, PropalError> {
    let id = caller.record_id::<Theme>(Scope::ThemesWrite, &id)?;
    let body = object(&body)?;
    let mut fields = Fields::new(&body);
    let name = fields.string("name", false, 1, MAX_TEXT);
    let changes = read_changes(&mut fields, &body, false);
    fields.finish()?;
    let mut data = caller.org.data();
    let theme = data.find_mut::<Theme>(id)?;
    if let Some(name) = name {
        theme.name = name;
    }
    changes.apply(theme);
    theme.updated_at = Some(millis(caller.now));
    Ok(Json(theme.clone()))
}

pub async fn delete_theme(caller: Caller, Path(id): Path<String>) -> Result<StatusCode, PropalError> {
    let id = caller.record_id::<Theme>(Scope::ThemesDelete, &id)?;
    let mut data = caller.org.data();
    let users = data.proposals.values().filter(|p| p.theme_id == Some(id)).count();
    if users > 0 {
        return Err(PropalError::validation(vec![Detail::new("id", format!("Theme is used by {users} proposal(s)"))]));
    }
    data.themes.remove(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// The fields create and PATCH share, read and checked; `None` leaves a field as it is.
struct ThemeChanges {
    colors: Option<ThemeColors>,
    title_font: Option<String>,
    body_font: Option<String>,
    radius: Option<f64>,
    button_radius: Option<f64>,
    section_styles: Option<Vec<SectionStyle>>,
}

/// `creating`: `colors` is required (create) rather than optional (PATCH).
fn read_changes(fields: &mut Fields<'_>, body: &Map<String, Value>, creating: bool) -> ThemeChanges {
    let colors = read_colors(fields, body.get("colors"), creating);
    // `string` refuses a null font itself; `number` would take a null radius as absent.
    let title_font = fields.string("title_font", false, 1, MAX_FONT);
    let body_font = fields.string("body_font", false, 1, MAX_FONT);
    let radius = fields.number("radius", false, 0.0, MAX_RADIUS);
    let button_radius = fields.number("button_radius", false, 0.0, MAX_RADIUS);
    for field in ["radius", "button_radius"] {
        if body.get(field).is_some_and(Value::is_null) {
            fields.problem(field, "Expected number, received null");
        }
    }
    let section_styles = read_section_styles(fields, body.get("section_styles"));
    ThemeChanges { colors, title_font, body_font, radius, button_radius, section_styles }
}

impl ThemeChanges {
    fn apply(self, theme: &mut Theme) {
        if let Some(colors) = self.colors {
            theme.colors = colors;
        }
        if let Some(font) = self.title_font {
            theme.title_font = font;
        }
        if let Some(font) = self.body_font {
            theme.body_font = font;
        }
        if let Some(radius) = self.radius {
            theme.radius = radius;
        }
        if let Some(radius) = self.button_radius {
            theme.button_radius = radius;
        }
        if let Some(styles) = self.section_styles {
            theme.section_styles = styles;
        }
    }
}

/// `colors`: `{page_bg, accent, text}`, each a hex colour, all three required.
fn read_colors(fields: &mut Fields<'_>, raw: Option<&Value>, required: bool) -> Option<ThemeColors> {
    let map = match raw {
        None | Some(Value::Null) if required => {
            fields.problem("colors", "Required");
            return None;
        }
        None => return None,
        Some(Value::Object(map)) => map,
        Some(other) => {
            fields.problem("colors", format!("Expected object, received {}", kind(other)));
            return None;
        }
    };
    let [page_bg, accent, text] =
        PALETTE.map(|name| hex_colour(fields, &format!("colors.{name}"), map.get(name), true));
    match (page_bg, accent, text) {
        (Ok(Some(page_bg)), Ok(Some(accent)), Ok(Some(text))) => Some(ThemeColors { page_bg, accent, text }),
        _ => None,
    }
}

/// `section_styles`: at most three `{id?, background, text?}`.
fn read_section_styles(fields: &mut Fields<'_>, raw: Option<&Value>) -> Option<Vec<SectionStyle>> {
    let items = match raw? {
        Value::Array(items) => items,
        other => {
            fields.problem("section_styles", format!("Expected array, received {}", kind(other)));
            return None;
        }
    };
    if items.len() > MAX_SECTION_STYLES {
        fields.problem("section_styles", format!("Array must contain at most {MAX_SECTION_STYLES} element(s)"));
        return None;
    }
    let mut styles = Vec::new();
    let mut seen = BTreeSet::new();
    let mut valid = true;
    for (i, item) in items.iter().enumerate() {
        let Value::Object(item) = item else {
            fields.problem(&format!("section_styles.{i}"), format!("Expected object, received {}", kind(item)));
            valid = false;
            continue;
        };
        let id = style_id(fields, &format!("section_styles.{i}.id"), item.get("id"), &mut seen);
        let background = hex_colour(fields, &format!("section_styles.{i}.background"), item.get("background"), true);
        let text = hex_colour(fields, &format!("section_styles.{i}.text"), item.get("text"), false);
        match (id, background, text) {
            (Ok(id), Ok(Some(background)), Ok(text)) => styles.push(SectionStyle { id, background, text }),
            _ => valid = false,
        }
    }
    valid.then_some(styles)
}

/// A section style id: optional; when given, 1–32 characters matching
/// `^[a-zA-Z][a-zA-Z0-9_-]*$`, neither `default` nor digits only (both reserved),
/// and unique within the theme (documented: MCP theming).
fn style_id(
    fields: &mut Fields<'_>,
    field: &str,
    raw: Option<&Value>,
    seen: &mut BTreeSet<String>,
) -> Result<Option<String>, ()> {
    let id = match raw {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(id)) => id,
        Some(other) => {
            fields.problem(field, format!("Expected string, received {}", kind(other)));
            return Err(());
        }
    };
    let length = id.chars().count();
    let problem = if length == 0 {
        Some("String must contain at least 1 character(s)".to_owned())
    } else if length > MAX_STYLE_ID {
        Some(format!("String must contain at most {MAX_STYLE_ID} character(s)"))
    } else if id == "default" {
        Some("\"default\" is reserved".to_owned())
    } else if id.bytes().all(|b| b.is_ascii_digit()) {
        Some("Digit-only ids are reserved".to_owned())
    } else if !is_style_id(id) {
        Some("Must start with a letter and contain only letters, digits, '_' and '-'".to_owned())
    } else if !seen.insert(id.clone()) {
        Some(format!("Duplicate section style id '{id}'"))
    } else {
        None
    };
    match problem {
        Some(message) => {
            fields.problem(field, message);
            Err(())
        }
        None => Ok(Some(id.clone())),
    }
}

fn is_style_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A `#RGB` or `#RRGGBB` colour, kept as sent: `Ok(None)` when absent (or null) and
/// optional, `Err` once the problem is recorded.
fn hex_colour(fields: &mut Fields<'_>, field: &str, raw: Option<&Value>, required: bool) -> Result<Option<String>, ()> {
    let colour = match raw {
        None | Some(Value::Null) if required => {
            fields.problem(field, "Required");
            return Err(());
        }
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(colour)) => colour,
        Some(other) => {
            fields.problem(field, format!("Expected string, received {}", kind(other)));
            return Err(());
        }
    };
    let digits = colour.strip_prefix('#').unwrap_or_default();
    if matches!(digits.len(), 3 | 6) && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(Some(colour.clone()))
    } else {
        fields.problem(field, "Invalid hex colour: expected #RGB or #RRGGBB");
        Err(())
    }
}
