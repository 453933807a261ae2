//! Leadvault's own CSV export, imported again: the same columns (see `export::COLUMNS`), then
//! one per form answer. Each row keeps its `source` and `external_id`, so a lead exported and
//! imported into another vault is the same lead, and into the same vault adds nothing. The old
//! vault's `id` and `updated_at` are its own bookkeeping and are left out; its `notes` become
//! the lead's notes again, with their times.

use chrono::{DateTime, Utc};

use super::profile::{Profile, Target, fold};
use crate::domain::Note;
use crate::export::COLUMNS_BEFORE_NOTES;

pub(crate) const PROFILE: Profile = Profile {
    name: "leadvault-csv",
    default_source: "import",
    columns: &[
        ("id", Target::Skip),
        ("source", Target::Source),
        ("updated_at", Target::Skip),
        ("notes", Target::Notes),
    ],
    id_prefixes: &[],
    created_required: false,
    platform: None,
    required_columns: &["source", "external_id"],
    closed: false,
};

/// An export's header starts with every one of its columns, in order (`notes` only in exports
/// made since it was added).
pub(crate) fn looks_like(folded_headers: &[String]) -> bool {
    let columns = &crate::export::COLUMNS[..COLUMNS_BEFORE_NOTES];
    folded_headers.len() >= columns.len() && folded_headers.iter().zip(columns).all(|(h, c)| h == c)
}

/// How many of an export's columns are its own; those after them are form answers, whatever
/// their names.
pub(crate) fn own_columns(header: &[String]) -> usize {
    match header.get(COLUMNS_BEFORE_NOTES) {
        Some(h) if fold(h) == "notes" => COLUMNS_BEFORE_NOTES + 1,
        _ => COLUMNS_BEFORE_NOTES.min(header.len()),
    }
}

/// A line that starts a note: its time in brackets, then its text.
fn stamped(line: &str) -> Option<Note> {
    let (at, body) = line.strip_prefix('[')?.split_once("] ")?;
    let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    Some(Note { at, body: body.to_string() })
}

/// A `notes` cell as the export writes it: each note on a line of its own starting with its
/// time in brackets (`[2026-11-20T14:03:11Z] call back Friday`), its later lines following.
/// Text before the first such line (a cell written by hand) is one note at `now`. A note's
/// later line that itself starts with a time in brackets is written with a `\` before it (see
/// [`notes_cell`]), which comes off here: one `\` before such a line, and only there.
///
/// A cell whose every line ends in `\r\n` was saved that way (a text editor or a spreadsheet on
/// Windows): its `\r`s come off. In any other, a `\r` is the note's own (a note typed with
/// Windows line ends beside the export's own `\n`s between notes, or the `\n` the export ends
/// such a cell with, see [`notes_cell`]) and stays.
pub(crate) fn parse_notes(cell: &str, now: DateTime<Utc>) -> Vec<Note> {
    let saved_crlf = looks_saved_crlf(cell);
    let mut notes: Vec<Note> = Vec::new();
    for line in cell.split('\n') {
        let line = if saved_crlf { line.strip_suffix('\r').unwrap_or(line) } else { line };
        let stamped = stamped(line);
        let line = match line.strip_prefix('\\') {
            Some(rest) if stamped.is_none() && escaped_stamp(rest) => rest,
            _ => line,
        };
        match (stamped, notes.last_mut()) {
            (Some(note), _) => notes.push(note),
            (None, Some(last)) => {
                last.body.push('\n');
                last.body.push_str(line);
            }
            (None, None) => notes.push(Note { at: now, body: line.to_string() }),
        }
    }
    notes.retain_mut(|n| {
        n.body = n.body.trim().to_string();
        !n.body.is_empty()
    });
    notes
}

/// Whether `line`, after any `\`s it starts with, starts a note: such a line in a note's text
/// gets one more `\` in the cell.
fn escaped_stamp(line: &str) -> bool {
    stamped(line.trim_start_matches('\\')).is_some()
}

/// The `notes` cell of an export: [`parse_notes`] reads it back. A later line of a note that
/// would read as the start of another (`[2026-11-01T10:00:00Z] customer wrote: hi`) is written
/// with a `\` before it, as is one that already starts with `\`s before such a time.
///
/// A cell whose every line would end in `\r\n` (one note, typed with Windows line ends) ends
/// with a `\n` of its own, or it would read as a cell saved with `\r\n` and lose its `\r`s;
/// the import trims it off again with the note's other trailing space.
pub(crate) fn notes_cell(notes: &[Note]) -> String {
    let mut cell = String::new();
    for (i, n) in notes.iter().enumerate() {
        if i > 0 {
            cell.push('\n');
        }
        cell.push('[');
        cell.push_str(&n.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        cell.push_str("] ");
        for (j, line) in n.body.split('\n').enumerate() {
            if j > 0 {
                cell.push('\n');
                let bare = line.strip_suffix('\r').unwrap_or(line);
                if escaped_stamp(bare) {
                    cell.push('\\');
                }
            }
            cell.push_str(line);
        }
    }
    if cell.contains('\n') && looks_saved_crlf(&cell) {
        cell.push('\n');
    }
    cell
}

/// Whether each `\n` in `cell` ends a `\r\n`: how a cell saved with Windows line ends reads.
fn looks_saved_crlf(cell: &str) -> bool {
    cell.match_indices('\n').all(|(i, _)| cell[..i].ends_with('\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn notes_come_back_as_they_were_written() {
        let notes = vec![
            Note { at: at("2026-11-20T14:03:11Z"), body: "called\n[later] no answer".into() },
            Note { at: at("2026-11-21T09:00:00.250Z"), body: "booked".into() },
        ];
        let cell = notes_cell(&notes);
        assert_eq!(
            cell,
            "[2026-11-20T14:03:11Z] called\n[later] no answer\n[2026-11-21T09:00:00.250Z] booked"
        );
        assert_eq!(parse_notes(&cell, Utc::now()), notes);
        // Windows line ends, as a spreadsheet may save them.
        assert_eq!(parse_notes(&cell.replace('\n', "\r\n"), Utc::now()), notes);
    }

    #[test]
    fn a_note_line_that_looks_like_a_notes_start_comes_back_in_its_note() {
        let notes = vec![
            Note {
                at: at("2026-11-20T14:03:11Z"),
                body: "forwarded:\n[2026-11-01T10:00:00Z] customer wrote: hi\n\\[2026-11-02T10:00:00Z] \
                       two\n\\\\[2026-11-03T10:00:00Z] three\n\\[not a time] four\n[later] five"
                    .into(),
            },
            Note { at: at("2026-11-21T09:00:00Z"), body: "[2026-11-01T10:00:00Z] first line".into() },
        ];
        let cell = notes_cell(&notes);
        assert_eq!(
            cell,
            "[2026-11-20T14:03:11Z] forwarded:\n\\[2026-11-01T10:00:00Z] customer wrote: hi\n\
             \\\\[2026-11-02T10:00:00Z] two\n\\\\\\[2026-11-03T10:00:00Z] three\n\\[not a time] four\n\
             [later] five\n[2026-11-21T09:00:00Z] [2026-11-01T10:00:00Z] first line"
        );
        assert_eq!(parse_notes(&cell, Utc::now()), notes);
        assert_eq!(parse_notes(&cell.replace('\n', "\r\n"), Utc::now()), notes);
    }

    /// A note typed with Windows line ends keeps them through the CSV export and its import,
    /// where each `\r` before a line end was taken for a spreadsheet's and dropped. A cell
    /// saved with `\r\n` throughout still loses them.
    #[test]
    fn a_notes_windows_line_ends_come_back() {
        let notes = vec![
            Note { at: at("2026-11-20T14:03:11Z"), body: "called\r\nno answer\rlone".into() },
            Note { at: at("2026-11-21T09:00:00Z"), body: "booked\nFriday".into() },
        ];
        let cell = notes_cell(&notes);
        assert_eq!(parse_notes(&cell, Utc::now()), notes);
        let saved = cell.replace("\r\n", "\n").replace('\n', "\r\n");
        let mut unix = notes.clone();
        unix[0].body = "called\nno answer\rlone".into();
        assert_eq!(parse_notes(&saved, Utc::now()), unix);
    }

    /// A lone note typed with Windows line ends (the whole cell's lines ending in `\r\n`) keeps
    /// them too, where it read as a cell a spreadsheet saved that way and lost them.
    #[test]
    fn a_lone_notes_windows_line_ends_come_back() {
        for body in ["called\r\nno answer", "a\r\n\r\nb\r\n[2026-11-01T10:00:00Z] c"] {
            let notes = vec![Note { at: at("2026-11-20T14:03:11Z"), body: body.into() }];
            let cell = notes_cell(&notes);
            assert!(cell.ends_with('\n') && !cell.ends_with("\r\n"), "{cell:?}");
            assert_eq!(parse_notes(&cell, Utc::now()), notes, "{cell:?}");
        }
        // Nothing added where nothing is in doubt: one line, or a `\n` of the note's own.
        for body in ["called", "called\nno answer", "called\r\nno\nanswer"] {
            let notes = vec![Note { at: at("2026-11-20T14:03:11Z"), body: body.into() }];
            assert!(!notes_cell(&notes).ends_with('\n'), "{body:?}");
        }
        // A cell saved with Windows line ends throughout (the file converted by an editor)
        // still reads as it did: its `\r`s were the editor's.
        let saved = "[2026-11-20T14:03:11Z] called\r\nno answer\r\n";
        assert_eq!(parse_notes(saved, Utc::now())[0].body, "called\nno answer");
    }

    #[test]
    fn a_cell_written_by_hand_is_one_note() {
        let now = at("2026-11-22T00:00:00Z");
        assert_eq!(
            parse_notes("  likes email\n\nnot calls ", now),
            vec![Note { at: now, body: "likes email\n\nnot calls".into() }]
        );
        assert_eq!(parse_notes("  \n ", now), vec![]);
    }

    #[test]
    fn exports_from_before_notes_keep_their_answers() {
        let header = |extra: &[&str]| -> Vec<String> {
            crate::export::COLUMNS[..COLUMNS_BEFORE_NOTES]
                .iter()
                .chain(extra)
                .map(|s| s.to_string())
                .collect()
        };
        assert_eq!(own_columns(&header(&["budget"])), COLUMNS_BEFORE_NOTES);
        assert_eq!(own_columns(&header(&["Notes", "budget"])), COLUMNS_BEFORE_NOTES + 1);
        assert_eq!(own_columns(&header(&[])), COLUMNS_BEFORE_NOTES);
        assert!(looks_like(&header(&[])) && looks_like(&header(&["notes"])));
    }
}
