//! A JSON array of lead objects, read one element at a time (or the array under `data`, as a
//! saved Graph API response holds it), or JSON Lines (NDJSON): one lead object a line. Keys
//! are column names as in a CSV; Meta's API shape
//! (`field_data: [{name, values}]`) is understood too, and imports under Meta's source: the
//! same lead from Meta's download or a sync is then the same lead, not a second one. Leadvault's
//! own JSON export comes back as its CSV export does: each lead keeps its source and external
//! id, its form answers (`fields`) and its notes.

use std::cell::Cell;
use std::io::BufRead;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::profile::{Profile, Target, content_id, fold};
use crate::domain::NewLead;
use crate::error::{Error, Result};

type Row<'r> = &'r dyn Fn() -> String;

/// Where an element is in its file: the Nth of an array, or a line of JSON Lines (blank lines
/// counted, as an editor numbers them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Item(u64),
    Line(u64),
}

impl Place {
    /// The rejects file's name for the column of places: `item` or `line`.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Place::Item(_) => "item",
            Place::Line(_) => "line",
        }
    }

    pub(crate) fn number(self) -> u64 {
        match self {
            Place::Item(n) | Place::Line(n) => n,
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind(), self.number())
    }
}

/// Reads the array (or the lines) of the file `shown`, calling `item` with each element's
/// place, its lead (or why not) and its text. The leads are filed under `source` when one is
/// given, else under the source the first object says: Meta's (`meta`) for a lead of Meta's
/// Graph API (it has `field_data`), the profile's otherwise; a Leadvault export's leads keep
/// their own. Gives back the source the leads were filed under, and whether the file is a
/// Leadvault export.
pub(crate) fn read(
    reader: impl BufRead,
    shown: &str,
    profile: &Profile,
    source: Option<&str>,
    now: DateTime<Utc>,
    mut item: impl FnMut(Place, std::result::Result<NewLead, String>, Row<'_>) -> Result<()>,
) -> Result<(String, bool)> {
    let newlines = Rc::new(Cell::new(0));
    let text = Rc::new(Cell::new(false));
    let mut items = Items {
        profile,
        source: source.map(str::to_string),
        export: None,
        now,
        item: &mut item,
        stopped: None,
        read: 0,
        one_per_line: false,
        newlines: newlines.clone(),
    };
    let mut de =
        serde_json::Deserializer::from_reader(CountingLines { inner: reader, newlines, text: text.clone() });
    let mut parsed = de.deserialize_any(&mut items);
    if parsed.is_ok() && items.one_per_line {
        // JSON Lines (NDJSON): the first object was a lead; so is every value after it.
        for value in de.into_iter::<Value>() {
            let taken = value.map(|value| items.take(value));
            match taken {
                Ok(Ok(())) => {}
                Ok(Err(())) => break,
                Err(e) => {
                    parsed = Err(e);
                    break;
                }
            }
        }
    } else {
        parsed = parsed.and_then(|()| de.end());
    }
    // JSON Lines without a line (the export of an empty view) are no leads, not a broken file.
    let no_lines = |e: &serde_json::Error| e.is_eof() && !text.get() && named_json_lines(shown);
    match (items.stopped, parsed) {
        (Some(e), _) => Err(e),
        (None, Ok(())) => Ok((
            items.source.unwrap_or_else(|| profile.default_source.to_string()),
            items.export.unwrap_or(false),
        )),
        (None, Err(e)) if no_lines(&e) => Ok((profile.default_source.to_string(), false)),
        (None, Err(e)) => Err(Error::Import {
            path: shown.to_string(),
            message: format!(
                "the JSON is neither an array of lead objects nor one lead object a line (line {}, column {}): {}; \
             fix the file and import it again",
                e.line(),
                e.column(),
                match e.classify() {
                    serde_json::error::Category::Eof => "it ends too early",
                    serde_json::error::Category::Syntax => "a syntax error",
                    _ => "unexpected content",
                }
            ),
        }),
    }
}

/// Whether the file `shown` is named as JSON Lines (`.ndjson`, `.jsonl`).
fn named_json_lines(shown: &str) -> bool {
    let ext = std::path::Path::new(shown).extension();
    ext.is_some_and(|e| e.eq_ignore_ascii_case("ndjson") || e.eq_ignore_ascii_case("jsonl"))
}

/// The file's bytes, counting the line ends the parser has taken: it takes them one at a time,
/// so when it hands over a value of JSON Lines, the count is the number of lines before the
/// value's own. Notes too whether anything but white space came.
struct CountingLines<R> {
    inner: R,
    newlines: Rc<Cell<u64>>,
    text: Rc<Cell<bool>>,
}

impl<R: BufRead> std::io::Read for CountingLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let ends = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        self.newlines.set(self.newlines.get() + ends);
        if !self.text.get() && buf[..n].iter().any(|b| !b.is_ascii_whitespace()) {
            self.text.set(true);
        }
        Ok(n)
    }
}

struct Items<'a, F> {
    profile: &'a Profile,
    /// The source given, or the one the first object said; `None` until then.
    source: Option<String>,
    /// Whether the first object is a Leadvault export's; `None` until then.
    export: Option<bool>,
    now: DateTime<Utc>,
    item: &'a mut F,
    /// Why `item` stopped the import, when it did.
    stopped: Option<Error>,
    /// How many items were read.
    read: u64,
    /// Whether the file is JSON Lines: its first value was a lead object, not an array.
    one_per_line: bool,
    /// Line ends read so far (see [`CountingLines`]).
    newlines: Rc<Cell<u64>>,
}

impl<F> Items<'_, F>
where
    F: FnMut(Place, std::result::Result<NewLead, String>, Row<'_>) -> Result<()>,
{
    /// Hands one element to `item`; an error means the import stopped (see `stopped`).
    fn take(&mut self, value: Value) -> std::result::Result<(), ()> {
        self.read += 1;
        let place = match self.one_per_line {
            true => Place::Line(self.newlines.get() + 1),
            false => Place::Item(self.read),
        };
        let lead = match &value {
            Value::Object(map) => {
                self.export.get_or_insert_with(|| is_export(map));
                let profile = self.profile;
                let source = self.source.get_or_insert_with(|| {
                    let meta = map.contains_key("field_data");
                    let by = if meta { &super::meta_csv::PROFILE } else { profile };
                    by.default_source.to_string()
                });
                to_lead(self.profile, map, source, self.now, false)
            }
            _ => Err("it is not an object".to_string()),
        };
        (self.item)(place, lead, &|| value.to_string()).map_err(|e| {
            self.stopped = Some(e);
        })
    }
}

impl<'de, F> Visitor<'de> for &mut Items<'_, F>
where
    F: FnMut(Place, std::result::Result<NewLead, String>, Row<'_>) -> Result<()>,
{
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of lead objects, or one lead object a line")
    }

    /// A saved Graph API response (`{"data": [...], "paging": {...}}`), its array read one lead
    /// at a time when `data` comes first, as Meta writes it; or the first lead of a JSON Lines
    /// file (which may hold a `data` answer of its own).
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let mut object = Map::new();
        if let Some(first) = map.next_key::<String>()? {
            match first.as_str() {
                "data" => {
                    if let Some(answer) = map.next_value_seed(DataOrAnswer(&mut *self))? {
                        object.insert(first, answer);
                    } else {
                        while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                        return Ok(());
                    }
                }
                _ => {
                    let value = map.next_value()?;
                    object.insert(first, value);
                }
            }
        }
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            object.insert(key, value);
        }
        let stopped = |()| de::Error::custom("stopped");
        match object.remove("data") {
            Some(Value::Array(leads)) => {
                for lead in leads {
                    self.take(lead).map_err(stopped)?;
                }
                Ok(())
            }
            data => {
                if let Some(data) = data {
                    object.insert("data".into(), data);
                }
                self.one_per_line = true;
                self.take(Value::Object(object)).map_err(stopped)
            }
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            self.take(value).map_err(|()| de::Error::custom("stopped"))?;
        }
        Ok(())
    }
}

/// The value of a first key `data`: a Graph API response's array of leads, read one at a time
/// by the same visitor (`None` then), or any other value, an answer of a JSON Lines lead.
struct DataOrAnswer<'v, 'a, F>(&'v mut Items<'a, F>);

impl<'de, F> de::DeserializeSeed<'de> for DataOrAnswer<'_, '_, F>
where
    F: FnMut(Place, std::result::Result<NewLead, String>, Row<'_>) -> Result<()>,
{
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Option<Value>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F> Visitor<'de> for DataOrAnswer<'_, '_, F>
where
    F: FnMut(Place, std::result::Result<NewLead, String>, Row<'_>) -> Result<()>,
{
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of leads, or an answer")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Option<Value>, A::Error> {
        self.0.visit_seq(seq).map(|()| None)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> std::result::Result<Option<Value>, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Option<Value>, E> {
        Ok(Some(Value::String(v.to_string())))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }
}

/// Whether `map` is a lead of Leadvault's own JSON export: its source and external id, and its
/// form answers under `fields`.
fn is_export(map: &Map<String, Value>) -> bool {
    map.contains_key("external_id")
        && map.get("source").is_some_and(Value::is_string)
        && map.get("fields").is_some_and(Value::is_object)
}

pub(crate) fn to_lead(
    profile: &Profile,
    map: &Map<String, Value>,
    source: &str,
    now: DateTime<Utc>,
    keep_all: bool,
) -> std::result::Result<NewLead, String> {
    // A Leadvault export: its columns mean what they mean in its CSV export.
    let export = !keep_all && is_export(map);
    let profile = if export { &super::leadvault_csv::PROFILE } else { profile };
    // Each key's target, its name and its value as text.
    let mut pairs: Vec<(Option<Target>, String, String)> = Vec::with_capacity(map.len());
    // An export's notes, taken as they are.
    let mut notes = None;
    for (key, value) in map {
        let target = profile.target(&fold(key));
        match (key.as_str(), value) {
            ("fields", Value::Object(answers)) if export => {
                for (name, answer) in answers {
                    if let Some(text) = text(answer) {
                        pairs.push((None, name.clone(), text));
                    }
                }
            }
            ("notes", Value::Array(items)) if export => {
                // Each note as it is, its time and its body: not through the CSV's notes cell,
                // where a body line that starts with a time in brackets would begin a note.
                let mut taken = Vec::with_capacity(items.len());
                for (i, n) in items.iter().enumerate() {
                    let note: crate::domain::Note = serde_json::from_value(n.clone()).map_err(|_| {
                        format!(
                            "note {} under key {key:?} is not a note (an object with a time \"at\" and a text \"body\")",
                            i + 1
                        )
                    })?;
                    if !note.body.trim().is_empty() {
                        taken.push(note);
                    }
                }
                // Not a column of the lead; its text stays part of what the row says.
                pairs.push((Some(Target::Skip), key.clone(), super::leadvault_csv::notes_cell(&taken)));
                notes = Some(taken);
            }
            ("field_data", Value::Array(answers)) => {
                for a in answers {
                    let name = a.get("name").and_then(Value::as_str).unwrap_or_default();
                    let values: Vec<String> = a
                        .get("values")
                        .and_then(Value::as_array)
                        .map_or(Vec::new(), |v| v.iter().filter_map(text).collect());
                    if !name.is_empty() {
                        // A form's question is an answer, whatever it is called (`date`,
                        // `status`, `notes`, ...): only Meta's standard contact questions fill
                        // the lead's contact fields.
                        let target = super::meta_csv::PROFILE.contact_target(&fold(name));
                        pairs.push((target, name.to_string(), values.join(", ")));
                    }
                }
            }
            (_, Value::Null) => {}
            (_, Value::String(s)) => pairs.push((target, key.clone(), s.clone())),
            (_, Value::Array(items)) if target == Some(Target::Tags) => {
                if items.iter().any(|t| t.is_array() || t.is_object()) {
                    if !keep_all {
                        return Err(format!(
                            "key {key:?} holds a list or an object among its tags; a tag is text or a number"
                        ));
                    }
                    // From a provider, which cannot be asked again: kept whole as a custom field.
                    pairs.push((None, key.clone(), value.to_string()));
                } else {
                    let tags: Vec<String> = items.iter().filter_map(text).collect();
                    pairs.push((target, key.clone(), tags.join(",")));
                }
            }
            (_, other) => pairs.push((target, key.clone(), other.to_string())),
        }
    }
    // A creation time in milliseconds (or µs) since 1970, as JavaScript and HubSpot write it, as
    // the time it is; the row's content id keeps the value as written.
    let epochs: Vec<Option<String>> = pairs
        .iter()
        .map(|(t, _, v)| (*t == Some(Target::CreatedAt)).then(|| super::epoch_as_rfc3339(v)).flatten())
        .collect();
    let cols = pairs.iter().zip(&epochs).map(|((t, k, v), e)| (*t, k.as_str(), e.as_deref().unwrap_or(v)));
    let row_id = || content_id(pairs.iter().map(|(_, k, v)| (k.as_str(), v.as_str())));
    let mut lead = profile.to_lead(cols, source, now, row_id, keep_all)?;
    if let Some(notes) = notes {
        lead.notes = notes;
    }
    if keep_all {
        // From a provider, which cannot be asked again: its time is kept as it says.
        return Ok(lead);
    }
    // The key it came from: the last creation time key with a value.
    let key = || {
        let created =
            pairs.iter().rev().filter(|(t, _, v)| *t == Some(Target::CreatedAt) && !v.trim().is_empty());
        created.map(|(_, k, _)| k.as_str()).next().unwrap_or_default()
    };
    match super::creation_time_refused(lead.created_at, now, key()) {
        Some(reason) => Err(reason),
        None => Ok(lead),
    }
}

/// A JSON value as the text of one answer: a string as it is, a number or `true` as written
/// (`2026`, not dropped), a list or object as its JSON; nothing for `null`.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
