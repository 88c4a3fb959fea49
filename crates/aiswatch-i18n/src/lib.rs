//! Message catalogs: what aiswatch says to people, in their language.
//!
//! Every sentence a person reads (an alert's `summary`, the console's
//! labels, an evidence report) comes from a Fluent catalog in `locales/`,
//! one file per language (`en.ftl`, `fr.ftl`, `pt.ftl`, …), built into the
//! binary. English is complete by definition; a message another catalog
//! lacks is said in English and counted ([`Catalogs::fallbacks`]), never
//! shown as its id.
//!
//! An alert keeps the [`Message`] behind its summary (id and arguments),
//! so each centre reads the summary rendered in its own language while
//! the structured fields stay the same for everyone. Figures are
//! formatted here, with each catalog's separators (`number-decimal`,
//! `number-group`) and duration patterns (`duration-*`), so a language
//! is a catalog file and nothing else.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use unic_langid::LanguageIdentifier;

/// The language every catalog falls back to, and the one nothing else
/// than a centre's setting changes.
pub const ENGLISH: &str = "en";

/// Prefix of the console's messages in a catalog.
pub const CONSOLE_PREFIX: &str = "console-";

/// The catalogs built into the binary: `(tag, Fluent source)`, from
/// `locales/*.ftl` (see `build.rs`).
const SHIPPED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/catalogs.rs"));

/// A catalog message and its arguments: what a sentence says, in no
/// language yet. Stored with an alert (its `message`), rendered per reader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The message's id in the catalogs (`dark-period-open`).
    pub id: String,
    /// Its arguments, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, Arg>,
}

/// One argument of a [`Message`]: a figure is kept as a figure, so each
/// language writes it its own way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arg {
    /// Said as it is, in every language (a name, an MMSI, a station).
    Text(String),
    /// A whole number (counts choose plural forms).
    Int(i64),
    /// A number with this many decimal places.
    Decimal {
        /// The value.
        value: f64,
        /// Decimal places shown.
        places: u8,
    },
    /// A duration in milliseconds, said in hours and minutes.
    DurationMs(i64),
    /// A word or phrase of the catalog (`reason-parted`), or `text` when
    /// no catalog has it (a reason this version does not know).
    Word {
        /// The message id.
        id: String,
        /// What to say when no catalog has `id`.
        text: String,
    },
    /// A sentence of its own, rendered first.
    Message(Message),
    /// Clauses rendered first and joined with the catalog's
    /// `clause-separator`.
    Clauses(Vec<Message>),
}

impl Message {
    /// The message `id`, no arguments yet.
    pub fn new(id: impl Into<String>) -> Self {
        Message {
            id: id.into(),
            args: BTreeMap::new(),
        }
    }

    /// With argument `name`.
    pub fn arg(mut self, name: &str, value: Arg) -> Self {
        self.args.insert(name.to_owned(), value);
        self
    }

    /// With text argument `name`.
    pub fn text(self, name: &str, value: impl Into<String>) -> Self {
        self.arg(name, Arg::Text(value.into()))
    }

    /// With whole-number argument `name`.
    pub fn int(self, name: &str, value: impl Into<i64>) -> Self {
        self.arg(name, Arg::Int(value.into()))
    }

    /// With argument `name`, `value` shown with `places` decimals; a
    /// catalog chooses a word's plural by `name` with `_n` after it (the
    /// figure as shown, as a number: `{ $speed_kn_n -> [one] nœud *[other]
    /// nœuds }`).
    pub fn decimal(self, name: &str, value: f64, places: u8) -> Self {
        self.arg(name, Arg::Decimal { value, places })
    }

    /// With duration argument `name` (milliseconds).
    pub fn duration(self, name: &str, ms: i64) -> Self {
        self.arg(name, Arg::DurationMs(ms))
    }

    /// With argument `name`, the catalog's word `id` (`text` if none has it).
    pub fn word(self, name: &str, id: impl Into<String>, text: impl Into<String>) -> Self {
        self.arg(
            name,
            Arg::Word {
                id: id.into(),
                text: text.into(),
            },
        )
    }

    /// With argument `name`, a sentence of its own.
    pub fn message(self, name: &str, m: Message) -> Self {
        self.arg(name, Arg::Message(m))
    }
}

/// The catalog word of a reason code or phrase: `reason-left-the-zone`
/// for "left the zone" or "left_the_zone".
pub fn reason_id(reason: &str) -> String {
    let mut id = String::from("reason-");
    for c in reason.chars() {
        id.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        });
    }
    id
}

/// A problem with a catalog, for the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError(pub String);

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CatalogError {}

/// One language's catalog.
struct Catalog {
    tag: String,
    langid: LanguageIdentifier,
    bundle: FluentBundle<FluentResource>,
    /// The catalog's text (the bundle does not list its ids).
    source: String,
    /// Its `number-decimal` separator (`.` if it has none).
    decimal: String,
    /// Its `number-group` separator (`None`: numbers are not grouped).
    group: Option<String>,
    /// Messages said in English because this catalog lacks them (or
    /// could not render them).
    fallbacks: AtomicU64,
}

/// Every language's catalog.
pub struct Catalogs {
    /// English first.
    catalogs: Vec<Catalog>,
}

impl std::fmt::Debug for Catalogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.languages()).finish()
    }
}

impl Catalogs {
    /// The catalogs built into the binary.
    pub fn shipped() -> &'static Catalogs {
        static SHIPPED_CATALOGS: OnceLock<Catalogs> = OnceLock::new();
        SHIPPED_CATALOGS.get_or_init(|| {
            // The build checked every shipped file; a failure here is a bug.
            Catalogs::from_sources(SHIPPED).expect("the shipped catalogs parse")
        })
    }

    /// Catalogs from `(tag, Fluent source)` pairs; one must be English.
    /// An error names the file and what is wrong with it.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<Catalogs, CatalogError> {
        let mut catalogs = Vec::new();
        for (tag, source) in sources {
            let file = format!("locales/{tag}.ftl");
            let langid: LanguageIdentifier = tag
                .parse()
                .map_err(|e| CatalogError(format!("{file}: {tag:?} is not a BCP 47 tag: {e}")))?;
            let resource = FluentResource::try_new((*source).to_owned()).map_err(|(_, errs)| {
                CatalogError(format!(
                    "{file}: {}",
                    errs.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                ))
            })?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid.clone()]);
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errs| CatalogError(format!("{file}: {errs:?}")))?;
            let mut c = Catalog {
                tag: langid.to_string(),
                langid,
                bundle,
                source: (*source).to_owned(),
                decimal: String::new(),
                group: None,
                fallbacks: AtomicU64::new(0),
            };
            let separator = |id: &str| pattern(&c, id, None).filter(|s| s != "none");
            (c.decimal, c.group) = (
                separator("number-decimal").unwrap_or_else(|| ".".into()),
                separator("number-group"),
            );
            catalogs.push(c);
        }
        catalogs.sort_by_key(|c| (c.tag != ENGLISH, c.tag.clone()));
        if catalogs.first().map(|c| c.tag.as_str()) != Some(ENGLISH) {
            return Err(CatalogError(
                "locales/en.ftl: no English catalog (every other falls back to it)".into(),
            ));
        }
        Ok(Catalogs { catalogs })
    }

    /// The languages there is a catalog for, English first.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.catalogs.iter().map(|c| c.tag.as_str())
    }

    /// The catalog's language for `requested` (a BCP 47 tag): the same tag,
    /// else the same language (`fr-CI` reads `fr`); `None` when there is
    /// no catalog for it.
    pub fn negotiate(&self, requested: &str) -> Option<&str> {
        let want: LanguageIdentifier = requested.parse().ok()?;
        self.catalogs
            .iter()
            .find(|c| c.langid == want)
            .or_else(|| {
                self.catalogs
                    .iter()
                    .find(|c| c.langid.language == want.language)
            })
            .map(|c| c.tag.as_str())
    }

    fn catalog(&self, lang: &str) -> &Catalog {
        self.catalogs
            .iter()
            .find(|c| c.tag == lang)
            .unwrap_or(&self.catalogs[0])
    }

    /// `msg` in `lang` (a tag [`Catalogs::negotiate`] gave; another reads
    /// English). A message `lang` lacks is said in English and counted;
    /// `None` only when English lacks it too.
    pub fn render(&self, lang: &str, msg: &Message) -> Option<String> {
        self.render_in(self.catalog(lang), msg)
    }

    /// `msg` in English.
    pub fn english(&self, msg: &Message) -> Option<String> {
        self.render_in(&self.catalogs[0], msg)
    }

    /// How many messages were said in English for want of a translation,
    /// by language (only languages with any).
    pub fn fallbacks(&self) -> Vec<(&str, u64)> {
        self.catalogs
            .iter()
            .map(|c| (c.tag.as_str(), c.fallbacks.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Ids of the messages English has and `lang` lacks.
    pub fn missing(&self, lang: &str) -> Vec<String> {
        let c = self.catalog(lang);
        self.ids(ENGLISH)
            .into_iter()
            .filter(|id| !c.bundle.has_message(id))
            .collect()
    }

    /// Ids of every message of `lang`'s catalog.
    pub fn ids(&self, lang: &str) -> Vec<String> {
        let c = self.catalog(lang);
        let mut ids: Vec<String> = c
            .source
            .lines()
            .filter_map(|l| {
                let (id, _) = l.split_once('=')?;
                let id = id.trim_end();
                let ok = id.starts_with(|ch: char| ch.is_ascii_alphabetic())
                    && id
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
                (ok && c.bundle.has_message(id)).then(|| id.to_owned())
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The console's messages in `lang` (English where it lacks one),
    /// without the prefix: `{ $name }` placeables left as `{$name}` for
    /// the console to fill in.
    pub fn console(&self, lang: &str) -> BTreeMap<String, String> {
        let c = self.catalog(lang);
        let english = &self.catalogs[0];
        let mut out = BTreeMap::new();
        for id in self.ids(ENGLISH) {
            let Some(key) = id.strip_prefix(CONSOLE_PREFIX) else {
                continue;
            };
            let from = if c.bundle.has_message(&id) {
                c
            } else {
                english
            };
            if let Some(text) = pattern(from, &id, None) {
                out.insert(key.to_owned(), text);
            }
        }
        out
    }

    fn render_in(&self, c: &Catalog, msg: &Message) -> Option<String> {
        if let Some(text) = self.try_render(c, msg) {
            return Some(text);
        }
        let english = &self.catalogs[0];
        if std::ptr::eq(c, english) {
            return None;
        }
        c.fallbacks.fetch_add(1, Ordering::Relaxed);
        self.try_render(english, msg)
    }

    /// `msg` in `c`'s language, or `None` if `c` lacks it or one of its
    /// arguments cannot be said.
    fn try_render(&self, c: &Catalog, msg: &Message) -> Option<String> {
        if !c.bundle.has_message(&msg.id) {
            return None;
        }
        let mut args = FluentArgs::new();
        for (name, arg) in &msg.args {
            let value: FluentValue = match arg {
                Arg::Text(s) => s.as_str().into(),
                Arg::Int(n) => (*n).into(),
                Arg::Decimal { value, places } => {
                    // The figure as shown, written the catalog's way and, for
                    // a plural choice, as a number (`<name>_n`): 1.96 shown
                    // as "2.0" is plural.
                    let plain = format!("{:.*}", usize::from(*places), value);
                    let shown = plain.parse::<f64>().unwrap_or(*value);
                    args.set(format!("{name}_n"), shown);
                    decimal(c, &plain).into()
                }
                Arg::DurationMs(ms) => self.duration_in(c, *ms)?.into(),
                Arg::Word { id, text } => {
                    self.word_in(c, id).unwrap_or_else(|| text.clone()).into()
                }
                Arg::Message(m) => self.render_in(c, m)?.into(),
                Arg::Clauses(ms) => {
                    let sep = self.render_in(c, &Message::new("clause-separator"))?;
                    let parts: Option<Vec<String>> =
                        ms.iter().map(|m| self.render_in(c, m)).collect();
                    parts?.join(&sep).into()
                }
            };
            args.set(name.clone(), value);
        }
        pattern(c, &msg.id, Some(&args))
    }

    /// The catalog word `id` in `c`'s language, else English (counted).
    fn word_in(&self, c: &Catalog, id: &str) -> Option<String> {
        self.render_in(c, &Message::new(id))
    }

    /// `ms` as `c`'s language writes a duration: `duration-days`,
    /// `duration-hours` or `duration-minutes` with `$d`, `$h`, `$m` (hours
    /// and minutes after the first unit two digits wide).
    fn duration_in(&self, c: &Catalog, ms: i64) -> Option<String> {
        let m = ms.max(0) / 60_000;
        let (h, m) = (m / 60, m % 60);
        let msg = if h >= 24 {
            Message::new("duration-days")
                .int("d", h / 24)
                .text("h", format!("{:02}", h % 24))
                .text("m", format!("{m:02}"))
        } else if h > 0 {
            Message::new("duration-hours")
                .int("h", h)
                .text("m", format!("{m:02}"))
        } else {
            Message::new("duration-minutes").int("m", m)
        };
        self.render_in(c, &msg)
    }
}

/// Message `id` of `c` with `args`; `None` if `c` lacks it or it needs
/// an argument it was not given (unless `args` is `None`: the console
/// fills those in itself).
fn pattern(c: &Catalog, id: &str, args: Option<&FluentArgs>) -> Option<String> {
    let value = c.bundle.get_message(id)?.value()?;
    let mut errors = Vec::new();
    let text = c.bundle.format_pattern(value, args, &mut errors);
    (args.is_none() || errors.is_empty()).then(|| text.into_owned())
}

/// `plain` (a figure as Rust writes it: `-1234.5`) written with `c`'s
/// `number-decimal` and, from five digits on, `number-group` separators.
fn decimal(c: &Catalog, plain: &str) -> String {
    let (int, frac) = match plain.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (plain, None),
    };
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int),
    };
    let mut out = String::from(sign);
    match &c.group {
        Some(g) if digits.len() >= 5 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            for (i, ch) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    out.push_str(g);
                }
                out.push(ch);
            }
        }
        _ => out.push_str(digits),
    }
    if let Some(f) = frac {
        out.push_str(&c.decimal);
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests;
