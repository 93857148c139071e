//! Themes: list, create, get, patch, delete. REST theming is "CRUD only" (docs:
//! MCP introduction); the shape is INFERRED from the MCP theming model (reference
//! §6.5): a palette (`colors`), title and body fonts, a radius and a button
//! radius, and up to three `section_styles`.
//!
//! A theme that a proposal of the organization uses cannot be deleted
//! (MCP `delete_theme`); on REST that is a 400 `validation_error` (CONTRACT §5.2).

use std::collections::BTreeSet;

use axum::{Json, body::Bytes, extract::RawQuery, http::StatusCode};
use serde_json::Value;
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type, schema::ArrayBuilder};

use crate::propal::{
    auth::{Caller, Scope},
    docs::{Forbidden, Invalid, NotFound, Refusals},
    error::{Detail, ErrorBody, PropalError},
    input::{BodyField, Change, Fields, MAX_TEXT, Number, PathId, Schemas, Text, body, join, kind, query_pairs},
    model::{SectionStyle, Theme, ThemeColors, millis},
    pagination::{Page, PageParams, PageRequest, page},
};

/// The MCP theming page's example fonts and radii, INFERRED as the defaults.
const DEFAULT_FONT: &str = "inter";
const DEFAULT_RADIUS: f64 = 0.8;
const DEFAULT_BUTTON_RADIUS: f64 = 0.5;
/// Documented: about three section ambiences; INFERRED as a hard maximum.
const MAX_SECTION_STYLES: usize = 3;
/// Documented: a section style id has 1–32 characters.
const MAX_STYLE_ID: usize = 32;
/// INFERRED: a font name is a short identifier such as `inter`.
const MAX_FONT: usize = 64;

/// INFERRED: a radius in rem, 0–10 (the documented examples are 0.8 and 0.5).
type Radius = Number<0, 10>;
type Font = Text<1, MAX_FONT>;

body! {
    /// `POST /v1/themes` (INFERRED REST shape of the MCP theming model).
    pub struct NewTheme as "PropalNewTheme" {
        pub name: Text<1, MAX_TEXT>,
        pub colors: Colors,
        /// Default `inter`.
        pub title_font: Option<Font>,
        /// Default `inter`.
        pub body_font: Option<Font>,
        /// Default 0.8.
        pub radius: Option<Radius>,
        /// Default 0.5.
        pub button_radius: Option<Radius>,
        /// Default none.
        pub section_styles: Option<SectionStyles>,
    }
}

body! {
    /// `PATCH /v1/themes/{id}`: every field optional, none nullable; each given one
    /// replaces the stored one whole (`colors` and `section_styles` included).
    pub struct ThemeChange as "PropalThemeChange" {
        pub name: Option<Text<1, MAX_TEXT>>,
        pub colors: Option<Colors>,
        pub title_font: Option<Font>,
        pub body_font: Option<Font>,
        pub radius: Option<Radius>,
        pub button_radius: Option<Radius>,
        pub section_styles: Option<SectionStyles>,
    }
}

body! {
    /// The page palette, each a `#RGB` or `#RRGGBB` colour.
    pub struct Colors as "PropalNewThemeColors" {
        pub page_bg: HexColour,
        pub accent: HexColour,
        pub text: HexColour,
    }
}

body! {
    /// One section ambience.
    pub struct SectionStyleInput as "PropalNewSectionStyle" {
        /// 1–32 characters matching `^[a-zA-Z][a-zA-Z0-9_-]*$`, neither `default` nor
        /// digits only, unique within the theme.
        pub id: Change<StyleId>,
        pub background: HexColour,
        pub text: Change<HexColour>,
    }
}

/// A `#RGB` or `#RRGGBB` colour, kept as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexColour(pub String);

impl BodyField for HexColour {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        let colour = fields.string(path, raw)?;
        let digits = colour.strip_prefix('#').unwrap_or_default();
        if matches!(digits.len(), 3 | 6) && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            Some(Self(colour.to_owned()))
        } else {
            fields.problem(path, "Invalid hex colour: expected #RGB or #RRGGBB");
            None
        }
    }

    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).pattern(Some("^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")).into()
    }
}

/// A section style id (documented: MCP theming); uniqueness is checked by [`SectionStyles`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StyleId(pub String);

impl BodyField for StyleId {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        let id = fields.text(path, raw, 1, MAX_STYLE_ID)?;
        let problem = if id == "default" {
            "\"default\" is reserved"
        } else if id.bytes().all(|b| b.is_ascii_digit()) {
            "Digit-only ids are reserved"
        } else if !is_style_id(&id) {
            "Must start with a letter and contain only letters, digits, '_' and '-'"
        } else {
            return Some(Self(id));
        };
        fields.problem(path, problem);
        None
    }

    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_STYLE_ID))
            .pattern(Some("^[a-zA-Z][a-zA-Z0-9_-]*$"))
            .into()
    }
}

/// `section_styles`: at most three, ids unique within the theme.
#[derive(Debug)]
pub struct SectionStyles(pub Vec<SectionStyle>);

impl BodyField for SectionStyles {
    fn read(fields: &mut Fields, path: &str, raw: Option<&Value>) -> Option<Self> {
        let items = match fields.present(path, raw)? {
            Value::Array(items) => items,
            other => {
                fields.problem(path, format!("Expected array, received {}", kind(other)));
                return None;
            }
        };
        if items.len() > MAX_SECTION_STYLES {
            fields.problem(path, format!("Array must contain at most {MAX_SECTION_STYLES} element(s)"));
            return None;
        }
        let mut styles = Some(Vec::new());
        let mut seen = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let item_path = join(path, &i.to_string());
            let before = fields.len();
            let mut style = <SectionStyleInput as BodyField>::read(fields, &item_path, Some(item));
            // A well-formed id (no problem recorded for it) must not repeat; said right after it.
            let id_path = join(&item_path, "id");
            if let Some(Value::String(id)) = item.get("id")
                && !fields.has_problem_since(before, &id_path)
                && !seen.insert(id.clone())
            {
                fields.insert_problem(before, Detail::new(id_path, format!("Duplicate section style id '{id}'")));
                style = None;
            }
            match (style, styles.as_mut()) {
                (Some(style), Some(list)) => list.push(SectionStyle {
                    id: style.id.set(),
                    background: style.background.0,
                    text: style.text.set::<HexColour>().map(|c| c.0),
                }),
                _ => styles = None,
            }
        }
        styles.map(Self)
    }

    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new().items(SectionStyleInput::schema()).max_items(Some(MAX_SECTION_STYLES)).into()
    }

    fn schemas(out: &mut Schemas) {
        SectionStyleInput::schemas(out);
    }
}

/// List the organization's themes, newest first.
#[utoipa::path(get, path = "/v1/themes", tag = "propal", params(PageParams),
    responses((status = 200, description = "A page of themes", body = Page<Theme>), Refusals, Forbidden, Invalid),
    security(("propal_key" = ["themes:read"])))]
pub async fn list_themes(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Page<Theme>>, PropalError> {
    caller.require(Scope::ThemesRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let request = PageRequest::from_query(&pairs)?;
    let data = caller.org.data();
    let no_filter = None::<fn(&Theme) -> bool>;
    Ok(Json(page(&data.themes, no_filter, request, |id| data.created_at::<Theme>(id), Theme::clone)?))
}

/// Create a theme.
#[utoipa::path(post, path = "/v1/themes", tag = "propal", request_body = NewTheme,
    responses((status = 201, description = "The theme", body = Theme), Refusals, Forbidden, Invalid),
    security(("propal_key" = ["themes:write"])))]
pub async fn create_theme(caller: Caller, body: Bytes) -> Result<(StatusCode, Json<Theme>), PropalError> {
    caller.require(Scope::ThemesWrite)?;
    let input = NewTheme::read(&body)?;
    let now = millis(caller.now);
    let mut theme = Theme {
        id: caller.store.ids.uuid(),
        name: input.name.into(),
        colors: input.colors.into(),
        title_font: DEFAULT_FONT.to_owned(),
        body_font: DEFAULT_FONT.to_owned(),
        radius: DEFAULT_RADIUS,
        button_radius: DEFAULT_BUTTON_RADIUS,
        // INFERRED: a theme made without section styles has none (sections use the palette).
        section_styles: Vec::new(),
        created_at: now,
        updated_at: None,
    };
    let change = ThemeChange {
        name: None,
        colors: None,
        title_font: input.title_font,
        body_font: input.body_font,
        radius: input.radius,
        button_radius: input.button_radius,
        section_styles: input.section_styles,
    };
    change.apply(&mut theme);
    let mut data = caller.org.data();
    data.add(theme.clone());
    Ok((StatusCode::CREATED, Json(theme)))
}

/// Get a theme.
#[utoipa::path(get, path = "/v1/themes/{id}", tag = "propal",
    params(("id" = String, Path, description = "Theme UUID")),
    responses((status = 200, description = "The theme", body = Theme), Refusals, Forbidden, NotFound),
    security(("propal_key" = ["themes:read"])))]
pub async fn get_theme(caller: Caller, PathId(id): PathId) -> Result<Json<Theme>, PropalError> {
    caller.record::<Theme>(Scope::ThemesRead, &id).map(Json)
}

/// Update a theme.
#[utoipa::path(patch, path = "/v1/themes/{id}", tag = "propal",
    params(("id" = String, Path, description = "Theme UUID")), request_body = Option<ThemeChange>,
    responses((status = 200, description = "The theme", body = Theme), Refusals, Forbidden, NotFound, Invalid),
    security(("propal_key" = ["themes:write"])))]
pub async fn update_theme(caller: Caller, PathId(id): PathId, body: Bytes) -> Result<Json<Theme>, PropalError> {
    let id = caller.record_id::<Theme>(Scope::ThemesWrite, &id)?;
    let change = ThemeChange::read(&body)?;
    let mut data = caller.org.data();
    let theme = data.find_mut::<Theme>(id)?;
    change.apply(theme);
    theme.updated_at = Some(millis(caller.now));
    Ok(Json(theme.clone()))
}

/// Delete a theme; one a proposal uses cannot go (400, MCP `delete_theme`).
#[utoipa::path(delete, path = "/v1/themes/{id}", tag = "propal",
    params(("id" = String, Path, description = "Theme UUID")),
    responses((status = 204, description = "Deleted"), Refusals, Forbidden, NotFound,
        (status = 400, description = "A proposal uses the theme", body = ErrorBody)),
    security(("propal_key" = ["themes:delete"])))]
pub async fn delete_theme(caller: Caller, PathId(id): PathId) -> Result<StatusCode, PropalError> {
    let id = caller.record_id::<Theme>(Scope::ThemesDelete, &id)?;
    let mut data = caller.org.data();
    let users = data.proposals.values().filter(|p| p.theme_id == Some(id)).count();
    if users > 0 {
        return Err(PropalError::validation(vec![Detail::new("id", format!("Theme is used by {users} proposal(s)"))]));
    }
    data.themes.remove(&id);
    Ok(StatusCode::NO_CONTENT)
}

impl From<Colors> for ThemeColors {
    fn from(colors: Colors) -> Self {
        ThemeColors { page_bg: colors.page_bg.0, accent: colors.accent.0, text: colors.text.0 }
    }
}

impl From<HexColour> for String {
    fn from(colour: HexColour) -> Self {
        colour.0
    }
}

impl From<StyleId> for String {
    fn from(id: StyleId) -> Self {
        id.0
    }
}

impl ThemeChange {
    fn apply(self, theme: &mut Theme) {
        if let Some(name) = self.name {
            theme.name = name.into();
        }
        if let Some(colors) = self.colors {
            theme.colors = colors.into();
        }
        if let Some(font) = self.title_font {
            theme.title_font = font.into();
        }
        if let Some(font) = self.body_font {
            theme.body_font = font.into();
        }
        if let Some(radius) = self.radius {
            theme.radius = radius.into();
        }
        if let Some(radius) = self.button_radius {
            theme.button_radius = radius.into();
        }
        if let Some(styles) = self.section_styles {
            theme.section_styles = styles.0;
        }
    }
}

fn is_style_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
