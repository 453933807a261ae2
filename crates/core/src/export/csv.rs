//! RFC 4180 CSV (quoted where needed, CRLF line ends), optionally with a UTF-8 BOM for Excel.
//! Cells that a spreadsheet would run as a formula are neutralised as OWASP recommends.

use std::io::Write;

use super::{COLUMNS, field_cell, write_error};
use crate::error::Result;
use crate::store::leads::RowBatch;

fn writer<W: Write>(out: W) -> ::csv::Writer<W> {
    ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(out)
}

/// The BOM when asked for, then the header: [`COLUMNS`], then one column per form answer.
pub(crate) fn header(out: &mut impl Write, excel_bom: bool, field_names: &[String]) -> Result<()> {
    if excel_bom {
        out.write_all("\u{feff}".as_bytes()).map_err(write_error)?;
    }
    let mut csv = writer(out);
    let header = COLUMNS.iter().copied().chain(field_names.iter().map(String::as_str)).map(neutralise);
    csv.write_record(header.map(|c| c.into_owned())).map_err(write_error)?;
    csv.flush().map_err(write_error)
}

/// Appends the batch's rows to `out`, one record each, under [`header`]'s columns.
pub(crate) fn render(batch: &RowBatch, field_names: &[String], out: &mut Vec<u8>) -> Result<()> {
    let mut csv = writer(out);
    for row in batch.rows() {
        for cell in row.export_cells()? {
            csv.write_field(neutralise(&cell).as_bytes()).map_err(write_error)?;
        }
        if !field_names.is_empty() {
            let fields = row.fields();
            for name in field_names {
                csv.write_field(neutralise(&field_cell(&fields, name)).as_bytes()).map_err(write_error)?;
            }
        }
        csv.write_record(None::<&[u8]>).map_err(write_error)?;
    }
    csv.flush().map_err(write_error)
}

/// A cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so a
/// spreadsheet shows it as text instead of running it (OWASP, "CSV Injection"). So does one
/// that already starts with `'`s before such a character: the import takes exactly one `'` off
/// again, and every value comes back as it was.
pub(crate) fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.trim_start_matches('\'').as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1 555"), "'+1 555");
        assert_eq!(neutralise("-2"), "'-2");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("\rx"), "'\rx");
        assert_eq!(neutralise("Ana"), "Ana");
        assert_eq!(neutralise(""), "");
    }
}
