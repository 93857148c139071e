//! Path templates of fault rules: a vendor's documented path (`/v1/proposals/{id}`),
//! where a `{name}` segment matches any one segment and `*` as the last segment
//! matches the rest of the path (one segment or more).

/// One segment of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Any,
    Rest,
}

/// A parsed path template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPattern {
    segments: Vec<Segment>,
}

impl PathPattern {
    /// Parses a template; it starts with `/`, and `*` may only end it.
    pub fn parse(template: &str) -> Result<Self, String> {
        let Some(rest) = template.strip_prefix('/') else {
            return Err(format!(
                "`path` must start with `/` (a path at the vendor's root, e.g. /v1/leads/{{id}}), not `{template}`"
            ));
        };
        let parts: Vec<&str> = if rest.is_empty() { Vec::new() } else { rest.split('/').collect() };
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let segment = if *part == "*" {
                if i + 1 != parts.len() {
                    return Err(format!("`*` may only be the last segment of `path` `{template}`"));
                }
                Segment::Rest
            } else if part.starts_with('{') && part.ends_with('}') && part.len() > 2 {
                Segment::Any
            } else if part.contains(['{', '}', '?', '#']) {
                return Err(format!("segment `{part}` of `path` `{template}` is neither a literal nor a {{name}}"));
            } else {
                Segment::Literal((*part).to_owned())
            };
            segments.push(segment);
        }
        Ok(Self { segments })
    }

    /// Whether a request path (at the vendor's root, no query) matches.
    pub fn matches(&self, path: &str) -> bool {
        let path = path.strip_prefix('/').unwrap_or(path);
        let mut parts = if path.is_empty() { Vec::new() } else { path.split('/').collect::<Vec<_>>() };
        if parts.last() == Some(&"") {
            parts.pop();
        }
        let mut at = 0;
        for segment in &self.segments {
            match segment {
                Segment::Rest => return at < parts.len(),
                Segment::Any if at < parts.len() && !parts[at].is_empty() => {}
                Segment::Literal(literal) if parts.get(at) == Some(&literal.as_str()) => {}
                _ => return false,
            }
            at += 1;
        }
        at == parts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_one_segment_per_parameter() {
        let pattern = PathPattern::parse("/v1/proposals/{id}").unwrap();
        assert!(pattern.matches("/v1/proposals/abc"));
        assert!(pattern.matches("/v1/proposals/abc/"));
        assert!(!pattern.matches("/v1/proposals"));
        assert!(!pattern.matches("/v1/proposals/abc/publish"));
        assert!(!pattern.matches("/v1/leads/abc"));
    }

    #[test]
    fn a_final_star_matches_the_rest() {
        let pattern = PathPattern::parse("/v1/*").unwrap();
        assert!(pattern.matches("/v1/leads"));
        assert!(pattern.matches("/v1/leads/1/x"));
        assert!(!pattern.matches("/v1"));
        assert!(PathPattern::parse("/*/leads").is_err());
    }

    #[test]
    fn bad_templates_are_refused() {
        assert!(PathPattern::parse("v1/leads").is_err());
        assert!(PathPattern::parse("/v1/{id").is_err());
        assert!(PathPattern::parse("/").unwrap().matches("/"));
    }
}
