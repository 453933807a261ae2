//! XLSX through rust_xlsxwriter in constant-memory mode: rows are flushed to a temp file as they
//! are written (beside the export, not in /tmp), so a million-lead sheet does not sit in memory. Cells are written as strings,
//! never formulas, so there is nothing for Excel to run; but for the creation and update times,
//! which are Excel dates (in UTC, as the format shown says), and the score, a number: a sheet
//! sorts and filters them as such. Ids and phone numbers stay text, every digit kept. Each column
//! is wide enough for what it usually holds, and the notes and the form answers wrap: a long
//! note shows as the lines it has (and a long answer over several), not one line off the screen.

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{COLUMNS, field_cell};
use crate::error::{Error, Result};
use crate::store::leads::BatchRow;

/// Excel's row limit, header included.
const MAX_ROWS: u32 = 1_048_576;

/// Where [`COLUMNS`] has the creation time, the score and the update time.
const CREATED_AT: usize = 3;
const SCORE: usize = 11;
const UPDATED_AT: usize = 22;
const NOTES: usize = 23;

/// Each of [`COLUMNS`]' width, in characters: an id (a ULID's 26), an email, a time shown to
/// the millisecond (narrower, Excel shows `#####`), the notes wide enough to read.
const WIDTHS: [f64; 24] = [
    28.0, 12.0, 20.0, 28.0, 24.0, 30.0, 18.0, 24.0, 11.0, 18.0, 20.0, 8.0, 20.0, 24.0, 20.0, 24.0, 20.0,
    24.0, 20.0, 24.0, 10.0, 10.0, 28.0, 60.0,
];

/// Each form answer's width; longer answers wrap.
const ANSWER_WIDTH: f64 = 30.0;

/// How a time shows: to the millisecond (as the CSV export writes it, and no rounding up to
/// the next second), in UTC.
const TIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss.000 \"UTC\"";

pub(crate) struct Writer<'f> {
    workbook: Workbook,
    field_names: &'f [String],
    row: u32,
    file: std::fs::File,
    time: Format,
    /// The notes' and the answers' cells: their text wraps, its line breaks shown.
    wrap: Format,
}

/// What one of a lead's cells is in the sheet.
#[derive(Debug, PartialEq)]
enum Cell<'c> {
    Text(&'c str),
    Number(f64),
    /// An Excel date: days since 1899-12-30, the time of day its fraction.
    Time(f64),
}

/// The cell for the text `value` of column `i`: a time or the score as Excel's own types,
/// anything else (or a time or a score that does not read as one) as the text it is.
fn cell(i: usize, value: &str) -> Cell<'_> {
    match i {
        CREATED_AT | UPDATED_AT => match chrono::DateTime::parse_from_rfc3339(value) {
            // 1970-01-01 is Excel's day 25,569.
            Ok(t) => Cell::Time(25_569.0 + t.timestamp_millis() as f64 / 86_400_000.0),
            Err(_) => Cell::Text(value),
        },
        SCORE => value.parse::<i64>().map_or(Cell::Text(value), |n| Cell::Number(n as f64)),
        _ => Cell::Text(value),
    }
}

impl<'f> Writer<'f> {
    /// A workbook for `file`, whose rows spill to unnamed files in `dir` until it is saved.
    pub fn new(field_names: &'f [String], file: std::fs::File, dir: &Path) -> Result<Self> {
        let mut workbook = Workbook::new();
        // Constant-memory rows spill to temp files: keep them beside the export itself, the one
        // place the owner asked for their leads in the clear, never in a shared /tmp.
        workbook.set_tempdir(dir).map_err(err)?;
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(err)?;
        sheet.set_name("Leads").map_err(err)?;
        for (i, name) in COLUMNS.iter().map(|c| c.to_string()).chain(field_names.iter().cloned()).enumerate()
        {
            sheet.write_string_with_format(0, col(i)?, name, &bold).map_err(err)?;
        }
        for (i, width) in WIDTHS.iter().enumerate() {
            sheet.set_column_width(col(i)?, *width).map_err(err)?;
        }
        if !field_names.is_empty() {
            let (first, last) = (col(COLUMNS.len())?, col(COLUMNS.len() + field_names.len() - 1)?);
            sheet.set_column_range_width(first, last, ANSWER_WIDTH).map_err(err)?;
        }
        let time = Format::new().set_num_format(TIME_FORMAT);
        let wrap = Format::new().set_text_wrap();
        Ok(Writer { workbook, field_names, row: 0, file, time, wrap })
    }
}

impl Writer<'_> {
    pub fn write(&mut self, lead: &BatchRow) -> Result<()> {
        self.row += 1;
        if self.row >= MAX_ROWS {
            return Err(Error::invalid(
                "more than 1,048,575 leads: too many for one Excel sheet; narrow the view or export CSV",
            ));
        }
        let row = self.row;
        let cells = lead.export_cells()?;
        let answers = lead.fields();
        let field_names = self.field_names;
        let fields: Vec<_> = field_names.iter().map(|n| field_cell(&answers, n)).collect();
        let sheet = self.workbook.worksheet_from_index(0).map_err(err)?;
        for (i, value) in cells.iter().chain(fields.iter()).enumerate() {
            if value.is_empty() {
                continue;
            }
            let text = match cell(i, value) {
                Cell::Time(days) => {
                    sheet.write_number_with_format(row, col(i)?, days, &self.time).map_err(err)?;
                    continue;
                }
                Cell::Number(n) => {
                    sheet.write_number(row, col(i)?, n).map_err(err)?;
                    continue;
                }
                Cell::Text(text) => text,
            };
            let written = match i >= NOTES {
                true => sheet.write_string_with_format(row, col(i)?, text, &self.wrap),
                false => sheet.write_string(row, col(i)?, text),
            };
            written.map(|_| ()).map_err(|e| match e {
                // Named by the lead's id and the column, never by what it holds.
                XlsxError::MaxStringLengthExceeded => {
                    let column = COLUMNS.get(i).copied().unwrap_or_else(|| &field_names[i - COLUMNS.len()]);
                    Error::invalid(format!(
                        "lead {} has a {column:?} longer than the 32,767 characters an Excel cell holds; \
                             export as CSV or JSON to keep it whole",
                        cells[0]
                    ))
                }
                e => err(e),
            })?;
        }
        Ok(())
    }

    pub fn finish(mut self: Box<Self>) -> Result<()> {
        let file = &mut self.file;
        self.workbook.save_to_writer(file).map_err(err)
    }
}

fn col(i: usize) -> Result<u16> {
    u16::try_from(i).ok().filter(|c| *c < 16_384).ok_or_else(|| Error::invalid("too many columns for Excel"))
}

fn err(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::writing("the XLSX export", e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_the_score_are_excels_own_types_and_the_rest_is_text() {
        assert_eq!(COLUMNS[CREATED_AT], "created_at");
        assert_eq!(COLUMNS[SCORE], "score");
        assert_eq!(COLUMNS[UPDATED_AT], "updated_at");
        assert_eq!(COLUMNS[NOTES], "notes");
        assert_eq!(NOTES, COLUMNS.len() - 1, "the notes, then the answers, wrap");
        assert_eq!(cell(CREATED_AT, "1970-01-01T00:00:00Z"), Cell::Time(25_569.0));
        // 2026-11-20 is day 46,346; 18:00:00.500 is its 0.750005787...
        assert_eq!(
            cell(UPDATED_AT, "2026-11-20T18:00:00.500Z"),
            Cell::Time(46_346.0 + 64_800_500.0 / 86_400_000.0)
        );
        assert_eq!(cell(SCORE, "42"), Cell::Number(42.0));
        assert_eq!(cell(SCORE, "-3"), Cell::Number(-3.0));
        // Ids and phone numbers keep every digit and their `+`; answers are text whatever they hold.
        for (i, value) in [(2, "1294817300000010"), (6, "+1 555 010 0000"), (12, "120208471002071302")] {
            assert_eq!(cell(i, value), Cell::Text(value));
        }
        assert_eq!(cell(COLUMNS.len(), "2026-11-20T18:00:00Z"), Cell::Text("2026-11-20T18:00:00Z"));
        assert_eq!(cell(COLUMNS.len(), "42"), Cell::Text("42"));
        assert_eq!(cell(CREATED_AT, "soon"), Cell::Text("soon"));
    }
}
