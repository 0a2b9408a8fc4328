//! The field a TOML (v1.0.0) error is about: `toml` reports where a document went wrong by byte
//! span, while profile and applicant-file errors name the dotted field (`holder.surname`,
//! `mode.width`) an operator can find in the file.

/// The dotted field `error` points at in `text`, the document it came from; `None` when it
/// concerns the document as a whole (`toml` gives a missing top-level key the empty span at 0).
pub fn field_of(error: &toml::de::Error, text: &str) -> Option<String> {
    let span = error.span()?;
    if span == (0..0) {
        return None;
    }
    field_at(text, span.start)
}

/// The dotted key on the line holding byte `offset`, prefixed by the `[table]` above it; the
/// table itself when the line is a table header or holds no key.
pub fn field_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..)?.lines().next()?;
    if let Some(header) = table_name(line) {
        return Some(header);
    }
    let table = text.get(..line_start)?.lines().rev().find_map(table_name);
    let key = line
        .split('=')
        .next()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    match (table, key) {
        (Some(table), Some(key)) => Some(format!("{table}.{key}")),
        (None, Some(key)) => Some(key.to_owned()),
        (table, None) => table,
    }
}

/// The name in a `[table]` or `[[array.of.tables]]` header line.
fn table_name(line: &str) -> Option<String> {
    let inner = line.trim_start().strip_prefix('[')?.trim_start_matches('[');
    let name = inner.split(']').next()?.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized, to provoke toml errors")]
    struct Demo {
        id: String,
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized, to provoke toml errors")]
    struct Inner {
        limit: u32,
        other: u32,
    }

    fn field(text: &str) -> Option<String> {
        field_of(&toml::from_str::<Demo>(text).unwrap_err(), text)
    }

    #[test]
    fn positions_name_the_key_and_its_table() {
        let text = "id = \"demo-one\"\nmax = 1\n[inner]\nlimit = \"x\"\n";
        let at = |s: &str| field_at(text, text.find(s).unwrap());
        assert_eq!(at("limit").as_deref(), Some("inner.limit"));
        assert_eq!(at("\"x\"").as_deref(), Some("inner.limit"));
        assert_eq!(at("max").as_deref(), Some("max"));
        assert_eq!(at("[inner]").as_deref(), Some("inner"));
        assert_eq!(
            field_at("[[a.b]] # c\nx = 1\n", 14).as_deref(),
            Some("a.b.x")
        );
    }

    #[test]
    fn errors_name_the_field_or_the_whole_document() {
        let text = "id = \"a\"\n[inner]\nlimit = \"x\"\nother = 2\n";
        assert_eq!(field(text).as_deref(), Some("inner.limit"));
        let text = "id = \"a\"\n[inner]\nlimit = 1\nother = 2\nextra = 3\n";
        assert_eq!(field(text).as_deref(), Some("inner.extra"));
        let text = "id = \"a\"\n[inner]\nlimit = 1\n";
        assert_eq!(field(text).as_deref(), Some("inner"), "missing `other`");
        let text = "[inner]\nlimit = 1\nother = 2\n";
        assert_eq!(field(text), None, "missing `id`");
    }
}
