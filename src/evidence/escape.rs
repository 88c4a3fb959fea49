//! Text from AIS (vessel names, call signs, destinations, receiving
//! stations) made harmless where a bundle's files are opened by other
//! programs: CSV cells that a spreadsheet would run as a formula, and
//! Markdown or HTML in `report.md`.
//!
//! # CSV
//!
//! A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
//! return (what spreadsheets read as a formula, as OWASP lists them) gets a
//! `'` in front; so does one that already begins with `'`, so the rule can
//! be undone: a text cell that begins with `'` had exactly that one `'`
//! added. Only text columns are touched: numbers (longitudes like `-2.5`)
//! stay numbers. The JSON files (`tracks.geojson`, `alert.json`) and the
//! raw lines keep the text as received.
//!
//! # Markdown
//!
//! `<`, `>` and `&` become HTML entities, Markdown's punctuation is
//! escaped with `\`, line breaks and other control characters become
//! spaces: a name shows as written and never as markup, a link or a new
//! table row.

use std::borrow::Cow;

/// The characters a spreadsheet reads as the start of a formula, and `'`
/// (which marks a cell this rule changed).
const CSV_FIRST: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// A CSV text cell, neutralised (see the module doc).
pub(super) fn csv_text(s: &str) -> Cow<'_, str> {
    if s.starts_with(CSV_FIRST) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Text for running Markdown (a paragraph or a table cell).
pub(super) fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    // What starts a list or an underline only at the start of a line.
    if out.starts_with(['-', '+', '=']) {
        out.insert(0, '\\');
    } else {
        let digits = out.len() - out.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && out[digits..].starts_with('.') {
            out.insert(digits, '\\');
        }
    }
    out
}

/// Text as a Markdown code span: fenced by more backticks than it holds in
/// a row, on one line.
pub(super) fn md_code(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in one_line.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{one_line}{fence}")
    } else {
        format!("{fence} {one_line} {fence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_get_a_quote_and_the_rule_undoes() {
        for (text, want) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+CMD", "'+CMD"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tX", "'\tX"),
            ("\rX", "'\rX"),
            ("'quoted", "''quoted"),
            ("LAGOON QUEEN", "LAGOON QUEEN"),
            ("A=B", "A=B"),
            ("", ""),
        ] {
            let got = csv_text(text);
            assert_eq!(got, want, "{text:?}");
            // Undo: drop the one leading quote of a cell that has one.
            let back = got.strip_prefix('\'').unwrap_or(&got);
            assert_eq!(back, text);
        }
    }

    #[test]
    fn markdown_shows_text_never_markup() {
        let s = md_text("<img src=x onerror=alert(1)> [a](http://e) *b* | c\nd & `e`");
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('\n'),
            "{s}"
        );
        assert_eq!(
            s,
            "&lt;img src=x onerror=alert\\(1\\)&gt; \\[a\\]\\(http://e\\) \\*b\\* \\| c d &amp; \\`e\\`"
        );
        assert_eq!(md_text("-2+3"), "\\-2+3");
        assert_eq!(md_text("=SUM(1)"), "\\=SUM\\(1\\)");
        assert_eq!(md_text("1984. BIG"), "1984\\. BIG");
        assert_eq!(md_text("M.V. SEA-STAR"), "M.V. SEA-STAR");
        assert_eq!(md_code("zone-1"), "`zone-1`");
        assert_eq!(md_code("a`b"), "`` a`b ``");
        assert_eq!(md_code("a\nb"), "`a b`");
    }
}
