//! Turns one record of any format (its column names and values) into a [`NewLead`].
//!
//! A [`Profile`] is a format's vocabulary: which column names mean which lead field, which id
//! prefixes to drop, whether a creation time is required. Column names are compared after
//! folding case and punctuation, so `Full Name`, `full_name` and `FULL-NAME` are one name.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use ring::digest;
use serde_json::{Map, Value};

use crate::domain::{
    AdOrigin, Email, LeadStatus, NewLead, Phone, TAG_SEPARATORS, normalize_owner, normalize_tag, parse_score,
};

/// The lead field a column fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    ExternalId,
    CreatedAt,
    FullName,
    FirstName,
    LastName,
    Email,
    Phone,
    Company,
    Status,
    Owner,
    Tags,
    /// The lead's score (see [`parse_score`]): a Leadvault export's, or any file's `score`.
    Score,
    AdId,
    AdName,
    AdsetId,
    AdsetName,
    CampaignId,
    CampaignName,
    FormId,
    FormName,
    Platform,
    IsOrganic,
    /// The row's own source label (a Leadvault export's `source`), unless the import names one.
    Source,
    /// A Leadvault export's notes, each with its time (see `leadvault_csv::parse_notes`).
    Notes,
    /// Not the lead's: the old vault's id and update time in a Leadvault export, the reason
    /// column of a rejects file. Left out of the lead and of its content id.
    Skip,
}

pub(crate) struct Profile {
    pub name: &'static str,
    pub default_source: &'static str,
    /// Folded column name → field. Columns not listed become custom fields.
    pub columns: &'static [(&'static str, Target)],
    /// Prefixes the format puts before ids (Meta's downloads write `l:123`, `ag:456`, ...).
    pub id_prefixes: &'static [&'static str],
    pub created_required: bool,
    pub platform: Option<&'static str>,
    /// Columns (folded names) a file of this format always has: a file forced to the format
    /// without them is refused.
    pub required_columns: &'static [&'static str],
    /// Whether `columns` is the format's whole vocabulary: a provider's download (Meta's,
    /// Google's) has fixed columns, then one per form question, and a question is an answer
    /// whatever it is called (`Date`, `Status`, `Owner`, `Tags`, `Lead ID`), never the lead's
    /// own field. [`COMMON_COLUMNS`] are then not consulted (but for a rejects file's reason).
    pub closed: bool,
}

/// Columns every format understands, checked after the format's own.
pub(crate) const COMMON_COLUMNS: &[(&str, Target)] = &[
    ("id", Target::ExternalId),
    ("external_id", Target::ExternalId),
    ("lead_id", Target::ExternalId),
    ("name", Target::FullName),
    ("full_name", Target::FullName),
    ("fullname", Target::FullName),
    ("contact_name", Target::FullName),
    ("first_name", Target::FirstName),
    ("firstname", Target::FirstName),
    ("given_name", Target::FirstName),
    ("last_name", Target::LastName),
    ("lastname", Target::LastName),
    ("surname", Target::LastName),
    ("family_name", Target::LastName),
    ("email", Target::Email),
    ("e_mail", Target::Email),
    ("email_address", Target::Email),
    ("work_email", Target::Email),
    ("phone", Target::Phone),
    ("phone_number", Target::Phone),
    ("mobile", Target::Phone),
    ("mobile_phone", Target::Phone),
    ("telephone", Target::Phone),
    ("tel", Target::Phone),
    ("work_phone_number", Target::Phone),
    ("company", Target::Company),
    ("company_name", Target::Company),
    ("organization", Target::Company),
    ("organisation", Target::Company),
    ("business", Target::Company),
    ("created", Target::CreatedAt),
    ("created_at", Target::CreatedAt),
    ("created_time", Target::CreatedAt),
    ("date", Target::CreatedAt),
    ("submitted_at", Target::CreatedAt),
    ("timestamp", Target::CreatedAt),
    ("status", Target::Status),
    ("owner", Target::Owner),
    ("tags", Target::Tags),
    ("score", Target::Score),
    ("ad_id", Target::AdId),
    ("ad_name", Target::AdName),
    ("adset_id", Target::AdsetId),
    ("adset_name", Target::AdsetName),
    ("campaign_id", Target::CampaignId),
    ("campaign_name", Target::CampaignName),
    ("form_id", Target::FormId),
    ("form_name", Target::FormName),
    ("platform", Target::Platform),
    ("is_organic", Target::IsOrganic),
    // The same columns as German, French, Spanish, Italian, Portuguese and Dutch spreadsheets
    // and CRMs name them (a column left unnamed here is kept as an answer, so a `Telefon`
    // would be no phone: not searchable as one, not compared to find the same person).
    ("vorname", Target::FirstName),
    ("prénom", Target::FirstName),
    ("prenom", Target::FirstName),
    ("nombre", Target::FirstName),
    ("voornaam", Target::FirstName),
    // Italian and Portuguese `Nome` beside `Cognome` / `Sobrenome` (alone, it is the whole name).
    ("nachname", Target::LastName),
    ("familienname", Target::LastName),
    ("nom", Target::LastName),
    ("nom_de_famille", Target::LastName),
    ("apellido", Target::LastName),
    ("apellidos", Target::LastName),
    ("cognome", Target::LastName),
    ("sobrenome", Target::LastName),
    ("achternaam", Target::LastName),
    ("nome", Target::FirstName),
    ("nome_completo", Target::FullName),
    ("nombre_completo", Target::FullName),
    ("nom_complet", Target::FullName),
    ("vollständiger_name", Target::FullName),
    ("naam", Target::FullName),
    ("volledige_naam", Target::FullName),
    ("e_mail_adresse", Target::Email),
    ("email_adresse", Target::Email),
    ("adresse_e_mail", Target::Email),
    ("adresse_email", Target::Email),
    ("courriel", Target::Email),
    ("correo", Target::Email),
    ("correo_electrónico", Target::Email),
    ("correo_electronico", Target::Email),
    ("e_mailadres", Target::Email),
    ("telefon", Target::Phone),
    ("telefonnummer", Target::Phone),
    ("handy", Target::Phone),
    ("mobil", Target::Phone),
    ("mobilnummer", Target::Phone),
    ("téléphone", Target::Phone),
    ("portable", Target::Phone),
    ("teléfono", Target::Phone),
    ("telefono", Target::Phone),
    ("móvil", Target::Phone),
    ("movil", Target::Phone),
    ("celular", Target::Phone),
    ("cellulare", Target::Phone),
    ("telemóvel", Target::Phone),
    ("telefoon", Target::Phone),
    ("telefoonnummer", Target::Phone),
    ("mobiel", Target::Phone),
    ("firma", Target::Company),
    ("unternehmen", Target::Company),
    ("société", Target::Company),
    ("societe", Target::Company),
    ("entreprise", Target::Company),
    ("empresa", Target::Company),
    ("azienda", Target::Company),
    ("società", Target::Company),
    ("bedrijf", Target::Company),
    ("datum", Target::CreatedAt),
    ("fecha", Target::CreatedAt),
    // The reason a rejects file gives each row: the rows go back in without it.
    (REJECT_REASON, Target::Skip),
];

/// The rejects file's column with the reason a row was refused.
pub(crate) const REJECT_REASON: &str = "leadvault_reject_reason";

/// `Full Name` → `full_name`; `E-mail` → `e_mail`.
pub(crate) fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().trim_start_matches('\u{feff}').chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

impl Profile {
    pub(crate) fn target(&self, folded: &str) -> Option<Target> {
        let common: &[(&str, Target)] = match self.closed {
            true => &[(REJECT_REASON, Target::Skip)],
            false => COMMON_COLUMNS,
        };
        self.columns.iter().chain(common).find(|(name, _)| *name == folded).map(|(_, t)| *t)
    }

    /// The target of a form question's answer (Meta's `field_data`, Google's submission
    /// fields): only the lead's contact fields, as the provider names its standard questions;
    /// any other question is an answer.
    pub(crate) fn contact_target(&self, folded: &str) -> Option<Target> {
        self.target(folded).filter(|t| {
            matches!(
                t,
                Target::FullName
                    | Target::FirstName
                    | Target::LastName
                    | Target::Email
                    | Target::Phone
                    | Target::Company
            )
        })
    }

    /// Maps one record. `columns` pairs each value with its column's target (or `None` for a
    /// custom field) and original name. The error is a reason fit for a person, without the
    /// offending value (it may be personal data).
    /// A record without an id gets `row_id()`, an id made from its content.
    ///
    /// `keep_all` is for leads synced from a provider, which cannot be fetched again: a value
    /// that fails its check (an odd phone number) is kept as a custom field under its column's
    /// name instead of refusing the lead, and a lead with no name, email or phone is kept.
    pub(crate) fn to_lead<'a>(
        &self,
        columns: impl Iterator<Item = (Option<Target>, &'a str, &'a str)>,
        source: &str,
        now: DateTime<Utc>,
        row_id: impl FnOnce() -> String,
        keep_all: bool,
    ) -> Result<NewLead, String> {
        let mut lead = NewLead {
            source: source.to_string(),
            external_id: String::new(),
            created_at: now,
            full_name: None,
            email: None,
            phone: None,
            company: None,
            status: LeadStatus::New,
            owner: None,
            tags: Vec::new(),
            score: None,
            ad: AdOrigin { platform: self.platform.map(str::to_string), ..AdOrigin::default() },
            fields: Map::new(),
            connection_id: None,
            notes: Vec::new(),
        };
        let (mut first, mut last, mut created) = (None, None, None);
        let mut filled = Filled::default();
        // The columns the id and the creation time came from, while a later one may replace them.
        let (mut id_column, mut created_column) = (None, None);
        for (target, name, raw) in columns {
            let value = raw.trim();
            if value.is_empty() {
                continue;
            }
            // The first column that fills a field fills it; a later one for the same field (a
            // WORK_EMAIL after the EMAIL) is kept as a custom field under its own name.
            // The id and the creation time are the exception: the last such column wins, as it
            // always has, so a lead keeps the identity earlier versions gave it; an earlier one
            // is kept as a custom field.
            let last_wins = |t: &Target| matches!(t, Target::Skip | Target::ExternalId | Target::CreatedAt);
            let target = target.filter(|t| last_wins(t) || filled.take(*t));
            let text = || Some(value.to_string());
            match target {
                Some(Target::ExternalId) => {
                    // A provider's id is a long number, which a spreadsheet shows (and saves)
                    // rounded: two leads would share what is left of it.
                    if self.closed && rounded_number(value) {
                        return Err(format!(
                            "the id was rounded by a spreadsheet ({value}); import the original download from {}",
                            self.provider()
                        ));
                    }
                    if let Some((n, v)) = id_column.replace((name, value)) {
                        insert_field(&mut lead.fields, n, v);
                    }
                    lead.external_id = self.strip_prefix(value).to_string()
                }
                Some(Target::CreatedAt) => {
                    let at = parse_time(value).ok_or_else(|| {
                        format!(
                            "column {name:?} is not a date and time (use ISO 8601, e.g. 2026-10-01T09:15:00Z)"
                        )
                    })?;
                    if let Some((n, v)) = created_column.replace((name, value)) {
                        insert_field(&mut lead.fields, n, v);
                    }
                    created = Some(at)
                }
                Some(Target::FullName) => lead.full_name = text(),
                Some(Target::FirstName) => first = Some((name, value)),
                Some(Target::LastName) => last = Some((name, value)),
                Some(Target::Email) => match Email::parse(value) {
                    Some(email) => lead.email = Some(email),
                    None if keep_all => {
                        // Kept as it is; a later column may still fill the email.
                        filled.release(Target::Email);
                        insert_field(&mut lead.fields, name, value);
                    }
                    None => return Err(format!("column {name:?} does not hold a valid email address")),
                },
                Some(Target::Phone) => match Phone::parse(value) {
                    Some(phone) => lead.phone = Some(phone),
                    None if keep_all => {
                        filled.release(Target::Phone);
                        insert_field(&mut lead.fields, name, value);
                    }
                    None => {
                        return Err(format!(
                            "column {name:?} does not hold a valid phone number (6 to 15 digits)"
                        ));
                    }
                },
                Some(Target::Company) => lead.company = text(),
                Some(Target::Status) => {
                    lead.status = value.parse().map_err(|_| {
                        format!(
                            "column {name:?} is not a status (new, contacted, qualified, won, lost, spam)"
                        )
                    })?
                }
                // An owner as `leads update` would set it; any other value is kept as an answer.
                Some(Target::Owner) => match normalize_owner(value) {
                    Ok(owner) => lead.owner = Some(owner),
                    Err(_) => {
                        filled.release(Target::Owner);
                        insert_field(&mut lead.fields, name, value);
                    }
                },
                Some(Target::Tags) => {
                    for t in value.split(TAG_SEPARATORS).filter(|t| !t.trim().is_empty()) {
                        lead.tags.push(normalize_tag(t).map_err(|e| format!("column {name:?}: {e}"))?);
                    }
                }
                // A score as the vault keeps one (a whole number); any other value ("Hot", 85.5,
                // another tool's grade) is kept as an answer, as an owner is, not refused.
                Some(Target::Score) => match parse_score(value) {
                    Some(score) => lead.score = Some(score),
                    None => {
                        filled.release(Target::Score);
                        insert_field(&mut lead.fields, name, value);
                    }
                },
                Some(Target::AdId) => lead.ad.ad_id = Some(self.strip_prefix(value).to_string()),
                Some(Target::AdName) => lead.ad.ad_name = text(),
                Some(Target::AdsetId) => lead.ad.adset_id = Some(self.strip_prefix(value).to_string()),
                Some(Target::AdsetName) => lead.ad.adset_name = text(),
                Some(Target::CampaignId) => lead.ad.campaign_id = Some(self.strip_prefix(value).to_string()),
                Some(Target::CampaignName) => lead.ad.campaign_name = text(),
                Some(Target::FormId) => lead.ad.form_id = Some(self.strip_prefix(value).to_string()),
                Some(Target::FormName) => lead.ad.form_name = text(),
                Some(Target::Platform) => lead.ad.platform = text(),
                Some(Target::Source) => lead.source = value.to_string(),
                // Its end as written: the `\n` an export ends some cells with tells its line ends
                // from a spreadsheet's (see `notes_cell`); each note is trimmed anyway.
                Some(Target::Notes) => lead.notes = super::leadvault_csv::parse_notes(raw.trim_start(), now),
                Some(Target::Skip) => {}
                Some(Target::IsOrganic) => {
                    lead.ad.is_organic = match value.to_ascii_lowercase().as_str() {
                        "1" | "true" | "yes" => Some(true),
                        "0" | "false" | "no" => Some(false),
                        _ => return Err(format!("column {name:?} is not true/false or 1/0")),
                    }
                }
                None => insert_field(&mut lead.fields, name, value),
            }
        }
        if lead.full_name.is_none() {
            lead.full_name = match (first, last) {
                (Some((_, f)), Some((_, l))) => Some(format!("{f} {l}")),
                (Some((_, n)), None) | (None, Some((_, n))) => Some(n.to_string()),
                (None, None) => None,
            };
        } else {
            // A full name column beside first / last name columns: those are kept as they are.
            for (name, value) in first.into_iter().chain(last) {
                insert_field(&mut lead.fields, name, value);
            }
        }
        // A Leadvault export's row was a lead of a vault: one synced without a name, email or
        // phone (kept, as `keep_all` keeps it) comes back too, or restoring the export would fail.
        let restored = self.name == super::leadvault_csv::PROFILE.name;
        if lead.full_name.is_none() && lead.email.is_none() && lead.phone.is_none() && !keep_all && !restored
        {
            return Err("it has no name, email or phone".into());
        }
        match created {
            Some(t) => lead.created_at = t,
            None if self.created_required => return Err("it has no created time".into()),
            None => {}
        }
        if lead.external_id.is_empty() {
            // No id in the file: the row's own content identifies it, so re-imports add nothing.
            lead.external_id = row_id();
        }
        Ok(lead)
    }

    /// Who writes files of this format, as a person names them.
    fn provider(&self) -> &'static str {
        match self.default_source {
            "meta" => "Meta",
            "google-ads" => "Google Ads",
            _ => "where it came from",
        }
    }

    fn strip_prefix<'v>(&self, value: &'v str) -> &'v str {
        self.id_prefixes.iter().find_map(|p| value.strip_prefix(p)).unwrap_or(value)
    }
}

/// Whether `value` is a number in a spreadsheet's scientific notation (`1.23457E+15`, or
/// `1,23457E+15` where the comma is the decimal mark): a long id, rounded.
fn rounded_number(value: &str) -> bool {
    let Some((mantissa, exponent)) = value.split_once(['E', 'e']) else { return false };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once(['.', ',']).unwrap_or((mantissa, ""));
    let digits = |s: &str, empty: bool| (empty || !s.is_empty()) && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole, false) && digits(fraction, true) && digits(exponent, false)
}

/// The lead fields a record's columns have filled so far.
#[derive(Default)]
struct Filled(u32);

impl Filled {
    /// Claims `t` for the column at hand; false when an earlier column filled it.
    fn take(&mut self, t: Target) -> bool {
        let bit = 1u32 << t as u32;
        let free = self.0 & bit == 0;
        self.0 |= bit;
        free
    }

    fn release(&mut self, t: Target) {
        self.0 &= !(1u32 << t as u32);
    }
}

/// Adds a custom field; a name already taken (two columns with one name) gets ` (2)`, ` (3)`, ...
fn insert_field(fields: &mut Map<String, Value>, name: &str, value: &str) {
    let key = if fields.contains_key(name) {
        (2..).map(|n| format!("{name} ({n})")).find(|k| !fields.contains_key(k)).expect("a free name")
    } else {
        name.to_string()
    };
    fields.insert(key, Value::String(value.to_string()));
}

/// Column names made distinct, in order: a repeated name gets ` (2)`, ` (3)`, ... (never a
/// name another column has), so every column's values land under one key in every row.
pub(crate) fn distinct_names(names: &[String]) -> Vec<String> {
    let mut taken: std::collections::HashSet<String> = names.iter().cloned().collect();
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .map(|name| {
            if seen.insert(name.as_str()) {
                return name.clone();
            }
            let key =
                (2..).map(|n| format!("{name} ({n})")).find(|k| !taken.contains(k)).expect("a free name");
            taken.insert(key.clone());
            key
        })
        .collect()
}

/// An id for a record that has none: a hash of its column names and trimmed values, so the same
/// row imported again is recognised.
pub(crate) fn content_id<'a>(columns: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut hash = digest::Context::new(&digest::SHA256);
    for (name, value) in columns {
        hash.update(name.as_bytes());
        hash.update(b"\x1f");
        hash.update(value.trim().as_bytes());
        hash.update(b"\x1e");
    }
    format!("h:{}", &hex::encode(hash.finish().as_ref())[..32])
}

/// Dates as lead sources write them: RFC 3339, Meta's `+0000` offsets, `YYYY-MM-DD HH:MM:SS`
/// and a bare date (both on the user's clock, as the command line's `--since 2026-11-20T14:03`
/// and the window's dates are: a file's `2026-11-20` is the user's 20 November), or Unix
/// seconds.
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    parse_time_in(&chrono::Local, s)
}

/// [`parse_time`], a time without an offset read in `zone`.
pub(crate) fn parse_time_in<Tz: TimeZone>(zone: &Tz, s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S %z"]
    {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    // A time as a spreadsheet shows the XLSX export's ("2026-11-20 18:00:00.500 UTC"), saved
    // as CSV: in UTC, whatever the user's clock.
    if let Some(utc) = s.strip_suffix("UTC").map(str::trim_end) {
        for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(utc, f) {
                return Some(t.and_utc());
            }
        }
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(local_time(zone, t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(crate::clock::day_start_in(zone, d));
    }
    if s.len() >= 9 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Utc.timestamp_opt(s.parse().ok()?, 0).single();
    }
    None
}

/// A clock time in `zone`: the earlier of a time the clocks show twice (when they go back, as
/// far as the zone tells both), and
/// for one they skip (when they go forward) the time as it reads an hour later, as a clock
/// that was not changed would show it. A time at the calendar's end, which has no hour after it
/// (`+262142-12-31 23:30`), is read as UTC.
fn local_time<Tz: TimeZone>(zone: &Tz, t: NaiveDateTime) -> DateTime<Utc> {
    (0..3)
        .filter_map(|h| t.checked_add_signed(chrono::Duration::hours(h)))
        .find_map(|t| zone.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_fold_to_one_spelling() {
        assert_eq!(fold("Full Name"), "full_name");
        assert_eq!(fold("\u{feff}E-Mail "), "e_mail");
        assert_eq!(fold("what_is_your_budget?"), "what_is_your_budget");
        // Every column name a format lists is in its folded form, or it would never match.
        for (name, _) in COMMON_COLUMNS {
            assert_eq!(fold(name), *name);
        }
    }

    #[test]
    fn source_dates_parse() {
        let want = Utc.with_ymd_and_hms(2026, 10, 1, 9, 15, 0).unwrap();
        for s in [
            "2026-10-01T09:15:00+0000",
            "2026-10-01T09:15:00Z",
            "2026-10-01 09:15:00",
            "2026-10-01T11:15:00+02:00",
            "1790846100",
        ] {
            assert_eq!(parse_time_in(&Utc, s), Some(want), "{s}");
        }
        // As a sheet shows the XLSX export's times, on any clock.
        let shown =
            Utc.with_ymd_and_hms(2026, 11, 20, 18, 0, 0).unwrap() + chrono::Duration::milliseconds(500);
        let berlin = chrono::FixedOffset::east_opt(3600).unwrap();
        assert_eq!(parse_time_in(&berlin, "2026-11-20 18:00:00.500 UTC"), Some(shown));
        assert_eq!(
            parse_time_in(&berlin, "2026-11-20 18:00:00 UTC"),
            Some(shown - chrono::Duration::milliseconds(500))
        );
        assert!(parse_time("2026-11-20 UTC").is_none());
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn a_time_without_an_offset_is_on_the_users_clock() {
        let la = chrono::FixedOffset::west_opt(8 * 3600).unwrap();
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        for (s, want) in [
            ("2026-11-20", "2026-11-20T08:00:00Z"),
            ("2026-11-20 14:03", "2026-11-20T22:03:00Z"),
            ("2026-11-20T14:03:11.5", "2026-11-20T22:03:11.5Z"),
            // With an offset or `Z`, or as seconds since 1970, a time is the time it says.
            ("2026-11-20T14:03:00Z", "2026-11-20T14:03:00Z"),
            ("2026-11-20T14:03:00+0000", "2026-11-20T14:03:00Z"),
            ("1790846100", "2026-10-01T09:15:00Z"),
        ] {
            assert_eq!(parse_time_in(&la, s), Some(utc(want)), "{s}");
        }
    }

    #[test]
    fn a_time_at_the_end_of_the_calendar_is_a_time_not_a_panic() {
        // West of UTC, the last hours chrono can count have no UTC time: the hour after them
        // (tried for a time the clocks skip) is past the calendar's end.
        let new_york = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
        for s in ["+262142-12-31 23:30", "+262142-12-31T23:30:00", "+262142-12-31T23:59:59.999"] {
            let at = parse_time_in(&new_york, s).expect(s);
            assert!(
                at > Utc::now() + chrono::Duration::days(1),
                "{s}: refused later as a time in the future"
            );
        }
    }

    #[test]
    fn a_spreadsheets_rounded_numbers_are_known() {
        for s in ["1.23457E+15", "1,23457E+15", "9.87654e+14", "1E+15", "2.38512E+16"] {
            assert!(rounded_number(s), "{s}");
        }
        for s in ["1234567890123456", "E+15", "1.2E", "1.2E+", "abcE+1", "1.2.3E+4", "l:123", ""] {
            assert!(!rounded_number(s), "{s}");
        }
    }
}
