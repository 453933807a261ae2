//! The lead and the small types that carry its invariants: status, email, phone, fingerprint.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use ring::digest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Where a lead stands in the owner's pipeline: new → contacted → qualified → won/lost, or spam.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LeadStatus {
    #[default]
    New,
    Contacted,
    Qualified,
    Won,
    Lost,
    Spam,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 6] = [
        LeadStatus::New,
        LeadStatus::Contacted,
        LeadStatus::Qualified,
        LeadStatus::Won,
        LeadStatus::Lost,
        LeadStatus::Spam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Contacted => "contacted",
            LeadStatus::Qualified => "qualified",
            LeadStatus::Won => "won",
            LeadStatus::Lost => "lost",
            LeadStatus::Spam => "spam",
        }
    }
}

impl fmt::Display for LeadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LeadStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        LeadStatus::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| {
            Error::invalid(format!(
                "unknown status {s:?}; use one of new, contacted, qualified, won, lost, spam"
            ))
        })
    }
}

/// An email address, trimmed and lower-cased. Validation is deliberately loose (one `@`, a dot
/// in the domain, no spaces): the owner's lead is worth more than RFC 5322 pedantry.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Option<Email> {
        let s = raw.trim().trim_start_matches("mailto:").to_lowercase();
        let (local, domain) = s.split_once('@')?;
        let valid = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        valid.then_some(Email(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(***)")
    }
}

/// A phone number as the person typed it, plus its digits. Meta's CSV downloads prefix phones
/// with `p:`; that prefix is not part of the number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    display: String,
    digits: String,
}

impl Phone {
    /// A phone number as written: digits and the usual separators, an extension at its end
    /// (`ext. 12`, `x12`, `#12`: kept in the display, not in the digits), and the `(0)` some
    /// countries write after the country code (`+49 (0)30 …`: the 0 is dialled only inside the
    /// country, so it is not in the digits).
    pub fn parse(raw: &str) -> Option<Phone> {
        let display = raw.trim().trim_start_matches("p:").trim().to_string();
        let number = without_extension(&display);
        let number = match number.starts_with('+') {
            true => number.replacen("(0)", "", 1),
            false => number.to_string(),
        };
        let mut digits = String::with_capacity(number.len());
        for c in number.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' | '.' | '/' | '+' | '\u{a0}' => {}
                _ => return None,
            }
        }
        (6..=15).contains(&digits.len()).then_some(Phone { display, digits })
    }
    pub fn as_str(&self) -> &str {
        &self.display
    }
    pub fn digits(&self) -> &str {
        &self.digits
    }
}

/// `number` without an extension at its end: a marker (`ext`, `ext.`, `extension`, `x`, `#`)
/// after a digit, a space or a separator, then up to six digits.
fn without_extension(number: &str) -> &str {
    let lower = number.to_ascii_lowercase();
    for marker in ["extension", "ext.", "ext", "x", "#"] {
        let Some(at) = lower.rfind(marker) else { continue };
        let rest = lower[at + marker.len()..].trim_start_matches([' ', '.', ':']);
        let before = lower[..at].trim_end().trim_end_matches([',', ';']);
        let ends_number = before.ends_with(|c: char| c.is_ascii_digit() || c == ')');
        if ends_number && (1..=6).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit()) {
            return number[..at].trim_end().trim_end_matches([',', ';']);
        }
    }
    number
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(***)")
    }
}

/// SHA-256 over the normalised email and phone digits: finds the same person across sources
/// and lets a forgotten person stay forgotten without keeping their details.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    pub fn of(email: Option<&Email>, phone: Option<&Phone>) -> Option<Fingerprint> {
        if email.is_none() && phone.is_none() {
            return None;
        }
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(email.map(Email::as_str).unwrap_or("").as_bytes());
        ctx.update(b"\n");
        ctx.update(phone.map(Phone::digits).unwrap_or("").as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        Some(Fingerprint(out))
    }
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", &self.to_hex()[..12])
    }
}

/// The ad that produced a lead, as far as the source says.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdOrigin {
    pub ad_id: Option<String>,
    pub ad_name: Option<String>,
    pub adset_id: Option<String>,
    pub adset_name: Option<String>,
    pub campaign_id: Option<String>,
    pub campaign_name: Option<String>,
    pub form_id: Option<String>,
    pub form_name: Option<String>,
    pub platform: Option<String>,
    pub is_organic: Option<bool>,
}

/// A lead as an importer or a connector hands it to the store.
#[derive(Clone, Default)]
pub struct NewLead {
    pub source: String,
    pub external_id: String,
    pub created_at: DateTime<Utc>,
    pub full_name: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub company: Option<String>,
    pub status: LeadStatus,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    /// Its score, as a file or a Leadvault export gives it (see [`parse_score`]).
    pub score: Option<i64>,
    pub ad: AdOrigin,
    /// Form answers and any column the importer did not map, by their original names.
    pub fields: Map<String, Value>,
    /// The connection a sync brought it from; `None` for imported files.
    pub connection_id: Option<String>,
    /// Notes it already has: those of a Leadvault export imported again.
    pub notes: Vec<Note>,
}

impl fmt::Debug for NewLead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewLead")
            .field("source", &self.source)
            .field("external_id", &self.external_id)
            .finish_non_exhaustive()
    }
}

impl NewLead {
    pub fn fingerprint(&self) -> Option<Fingerprint> {
        Fingerprint::of(self.email.as_ref(), self.phone.as_ref())
    }
}

/// A lead in the vault. Serialised field names are stable: scripts read `--json` output.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    pub id: String,
    pub source: String,
    pub external_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub status: LeadStatus,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    pub score: Option<i64>,
    #[serde(flatten)]
    pub ad: AdOrigin,
    pub fields: Map<String, Value>,
}

impl fmt::Debug for Lead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lead")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub at: DateTime<Utc>,
    pub body: String,
}

impl fmt::Debug for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What the owner wrote about a person: personal data, never in logs or panics.
        f.debug_struct("Note").field("at", &self.at).finish_non_exhaustive()
    }
}

/// One entry of a lead's history.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub detail: Value,
}

/// A lead with its notes and timeline, for the detail view.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeadDetail {
    #[serde(flatten)]
    pub lead: Lead,
    pub notes: Vec<Note>,
    pub timeline: Vec<TimelineEvent>,
}

/// Which leads a list, count or export covers. All parts are ANDed.
#[derive(Clone, Default)]
pub struct LeadFilter {
    pub search: Option<String>,
    pub status: Option<LeadStatus>,
    pub source: Option<String>,
    pub tag: Option<String>,
    pub owner: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The order of a list. Ties break on insertion order, so pages never overlap or skip.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadSort {
    #[default]
    Newest,
    Oldest,
    ScoreHigh,
}

/// A change the owner makes to one lead; each part that changes something adds a timeline event.
#[derive(Clone, Default)]
pub struct LeadUpdate {
    pub status: Option<LeadStatus>,
    /// `Some(None)` clears the owner.
    pub owner: Option<Option<String>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub note: Option<String>,
}

/// A search is what was typed to find someone (a name, an email, a phone): shown as `***`.
impl fmt::Debug for LeadFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LeadFilter { search, status, source, tag, owner, since, until } = self;
        f.debug_struct("LeadFilter")
            .field("search", &search.as_ref().map(|_| "***"))
            .field("status", status)
            .field("source", source)
            .field("tag", tag)
            .field("owner", owner)
            .field("since", since)
            .field("until", until)
            .finish()
    }
}

/// A note's text is personal data: shown as `***`.
impl fmt::Debug for LeadUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LeadUpdate { status, owner, add_tags, remove_tags, note } = self;
        f.debug_struct("LeadUpdate")
            .field("status", status)
            .field("owner", owner)
            .field("add_tags", add_tags)
            .field("remove_tags", remove_tags)
            .field("note", &note.as_ref().map(|_| "***"))
            .finish()
    }
}

impl LeadFilter {
    /// True when the filter lets every lead through.
    pub fn is_empty(&self) -> bool {
        let LeadFilter { search, status, source, tag, owner, since, until } = self;
        search.as_deref().is_none_or(|s| s.trim().is_empty())
            && status.is_none()
            && source.is_none()
            && tag.is_none()
            && owner.is_none()
            && since.is_none()
            && until.is_none()
    }
}

impl LeadUpdate {
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.owner.is_none()
            && self.add_tags.is_empty()
            && self.remove_tags.is_empty()
            && self.note.is_none()
    }
}

/// The characters that separate tags in a CSV cell: the export joins a lead's tags with `,`, the
/// import splits a cell on any of them, so none of them can be part of a tag.
pub const TAG_SEPARATORS: [char; 3] = [',', ';', '|'];

/// Tags are short labels: trimmed, lower-cased, without a [`TAG_SEPARATORS`] character (a tag
/// `q3;q4` would come back from an export as two tags).
pub fn normalize_tag(raw: &str) -> Result<String> {
    let tag = raw.trim().to_lowercase();
    let too_long = tag.chars().count() > 64;
    if tag.is_empty() || too_long || tag.contains(TAG_SEPARATORS) || tag.chars().any(char::is_control) {
        return Err(Error::invalid(
            "a tag must be 1 to 64 characters without commas, semicolons, | or control characters; \
             add each tag on its own",
        ));
    }
    Ok(tag)
}

/// The largest score, either way: a whole number of at most 15 digits, which a spreadsheet (an
/// XLSX export writes the score as a number) and the window (a JavaScript number) hold exactly.
pub const SCORE_MAX: i64 = 999_999_999_999_999;

/// A score as a file writes it: a whole number from -[`SCORE_MAX`] to [`SCORE_MAX`] (`75`,
/// `-5`, `+12`), or one a spreadsheet wrote with a zero fraction (`75.0`). Nothing else is a
/// score: not `75.5`, `high` or `1e3`.
pub fn parse_score(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let whole = match s.split_once('.') {
        Some((whole, fraction)) if !fraction.is_empty() && fraction.bytes().all(|b| b == b'0') => whole,
        Some(_) => return None,
        None => s,
    };
    let digits = whole.strip_prefix(['+', '-']).unwrap_or(whole);
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    whole.parse::<i64>().ok().filter(|n| n.abs() <= SCORE_MAX)
}

/// The most characters an owner's name may have.
pub const OWNER_MAX_CHARS: usize = 100;

/// An owner as `leads update --owner` (or the window) sets it: trimmed, 1 to
/// [`OWNER_MAX_CHARS`] characters, no control characters (a line break would break the table
/// and the CSV export's rows for whoever reads them). An empty owner is refused rather than
/// taken to clear it: `--clear-owner` says that.
pub fn normalize_owner(raw: &str) -> Result<String> {
    let owner = raw.trim();
    if owner.is_empty() {
        return Err(Error::invalid(
            "the owner is empty; give a name, or use --clear-owner to remove the owner",
        ));
    }
    if owner.chars().count() > OWNER_MAX_CHARS || owner.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "an owner must be 1 to {OWNER_MAX_CHARS} characters without control characters (such as a line \
             break); give a shorter name on one line"
        )));
    }
    Ok(owner.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_loosely_validated() {
        assert_eq!(Email::parse("  Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
        assert!(Email::parse("not-an-email").is_none());
        assert!(Email::parse("a@b").is_none());
        assert!(Email::parse("a b@c.com").is_none());
        assert!(Email::parse("a@@c.com").is_none());
    }

    #[test]
    fn phones_drop_the_meta_prefix_and_keep_digits() {
        let p = Phone::parse("p:+1 (555) 010-2030").unwrap();
        assert_eq!(p.as_str(), "+1 (555) 010-2030");
        assert_eq!(p.digits(), "15550102030");
        assert!(Phone::parse("call me").is_none());
        assert!(Phone::parse("123").is_none());
    }

    #[test]
    fn a_phones_extension_and_trunk_zero_are_not_its_digits() {
        for (written, digits) in [
            ("+1 555 010 7777 ext. 12", "15550107777"),
            ("+1 555 010 7777 Ext 12", "15550107777"),
            ("555-010-7777x12", "5550107777"),
            ("(555) 010-7777 #4", "5550107777"),
            ("+1 555 010 7777, extension 1234", "15550107777"),
            ("+49 (0)30 1234567", "49301234567"),
            ("+44 (0) 20 7946 0958", "442079460958"),
            // A (0) in a number without a country code is part of it.
            ("(0)30 1234567", "0301234567"),
        ] {
            let p = Phone::parse(written).unwrap_or_else(|| panic!("{written}"));
            assert_eq!((p.as_str(), p.digits()), (written, digits));
        }
        // An extension is digits after its marker, nothing else.
        for bad in [
            "+1 555 010 7777 ext. twelve",
            "+1 555 010 7777 x",
            "+1 555 010 7777 ext 1234567",
            "fax 5550107777",
        ] {
            assert!(Phone::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            Fingerprint::of(None, Phone::parse("+49 (0)30 1234567").as_ref()),
            Fingerprint::of(None, Phone::parse("+49 30 1234567").as_ref())
        );
    }

    #[test]
    fn the_fingerprint_ignores_formatting() {
        let a = Fingerprint::of(Email::parse("Ana@x.com").as_ref(), Phone::parse("+1 555 010 2030").as_ref());
        let b = Fingerprint::of(Email::parse("ana@x.com ").as_ref(), Phone::parse("p:15550102030").as_ref());
        assert_eq!(a, b);
        assert!(Fingerprint::of(None, None).is_none());
    }

    #[test]
    fn a_tag_cannot_hold_what_separates_tags_in_a_csv_cell() {
        assert_eq!(normalize_tag("  Hot ").unwrap(), "hot");
        // 64 characters, however many bytes each takes.
        assert_eq!(normalize_tag(&"Ü".repeat(64)).unwrap(), "ü".repeat(64));
        for bad in ["q3;q4", "a,b", "a|b", "", "  ", "a\nb", &"x".repeat(65), &"ü".repeat(65)] {
            let err = normalize_tag(bad).unwrap_err().to_string();
            assert!(err.contains("semicolons") && !err.contains('\n'), "{bad:?}: {err}");
        }
    }

    #[test]
    fn a_score_is_a_whole_number_of_at_most_15_digits() {
        for (raw, score) in [
            ("75", 75),
            (" 0 ", 0),
            ("-5", -5),
            ("+12", 12),
            ("75.0", 75),
            ("999999999999999", SCORE_MAX),
            ("-999999999999999", -SCORE_MAX),
        ] {
            assert_eq!(parse_score(raw), Some(score), "{raw:?}");
        }
        for bad in
            ["", "-", "75.5", "75.", ".5", "high", "1e3", "7 5", "--5", "1000000000000000", "0x10", "٣"]
        {
            assert_eq!(parse_score(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_owner_is_one_trimmed_line_of_at_most_100_characters() {
        assert_eq!(normalize_owner("  Maria López ").unwrap(), "Maria López");
        assert_eq!(normalize_owner(&"é".repeat(100)).unwrap().chars().count(), 100);
        let empty = normalize_owner("  ").unwrap_err().to_string();
        assert!(empty.contains("--clear-owner"), "{empty}");
        for bad in ["Maria\nTom", "a\u{1b}[31m", "\t", &"x".repeat(101), &"x".repeat(100_000)] {
            let err = normalize_owner(bad).unwrap_err().to_string();
            assert!(err.contains("100 characters") || err.contains("--clear-owner"), "{err}");
            assert!(!err.contains('\n') && !err.contains("Maria") && err.len() < 200, "{err}");
        }
    }

    #[test]
    fn personal_data_never_prints_in_debug() {
        let e = Email::parse("secret.person@x.com").unwrap();
        assert!(!format!("{e:?}").contains("secret"));
        let p = Phone::parse("5550102030").unwrap();
        assert!(!format!("{p:?}").contains("555"));

        // What the owner writes about a person and types to find one.
        let marker = "Zq9DebugMarker";
        let note = Note { at: Utc::now(), body: format!("{marker} asked for a call") };
        let update = LeadUpdate {
            note: Some(note.body.clone()),
            status: Some(LeadStatus::Contacted),
            ..Default::default()
        };
        let filter =
            LeadFilter { search: Some(marker.into()), tag: Some("hot".into()), ..Default::default() };
        let lead = Lead {
            id: "01JB8Q".into(),
            source: "import".into(),
            external_id: "1".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            full_name: Some(marker.into()),
            email: None,
            phone: None,
            company: None,
            status: LeadStatus::New,
            owner: None,
            tags: vec![],
            score: None,
            ad: AdOrigin::default(),
            fields: Map::new(),
        };
        let detail = LeadDetail { lead, notes: vec![note.clone()], timeline: vec![] };
        for shown in
            [format!("{note:?}"), format!("{update:?}"), format!("{filter:?}"), format!("{detail:?}")]
        {
            assert!(!shown.contains(marker), "{shown}");
        }
        // What is not personal still shows, for whoever debugs.
        assert!(format!("{update:?}").contains("Contacted") && format!("{filter:?}").contains("hot"));
    }
}
