//! RFC 4180 CSV (quoted where needed, CRLF line ends), optionally with a UTF-8 BOM for Excel.
//! Cells that a spreadsheet would run as a formula are neutralised as OWASP recommends.

use std::fs::File;
use std::io::{BufWriter, Write};

use super::{COLUMNS, RowWriter, field_cell, flat_row, write_error};
use crate::domain::Lead;
use crate::error::Result;

pub(crate) struct Writer<'f> {
    csv: ::csv::Writer<BufWriter<File>>,
    field_names: &'f [String],
}

impl<'f> Writer<'f> {
    pub fn new(mut out: BufWriter<File>, excel_bom: bool, field_names: &'f [String]) -> Result<Self> {
        if excel_bom {
            out.write_all("\u{feff}".as_bytes()).map_err(write_error)?;
        }
        let mut csv = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(out);
        let header = COLUMNS
            .iter()
            .map(|c| neutralise(c).into_owned())
            .chain(field_names.iter().map(|f| neutralise(f).into_owned()));
        csv.write_record(header).map_err(write_error)?;
        Ok(Writer { csv, field_names })
    }
}

impl RowWriter for Writer<'_> {
    fn write(&mut self, lead: &Lead) -> Result<()> {
        for cell in flat_row(lead) {
            self.csv.write_field(neutralise(&cell).as_bytes()).map_err(write_error)?;
        }
        for name in self.field_names {
            self.csv.write_field(neutralise(&field_cell(lead, name)).as_bytes()).map_err(write_error)?;
        }
        self.csv.write_record(None::<&[u8]>).map_err(write_error)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let mut out = self.csv.into_inner().map_err(|e| write_error(e.into_error()))?;
        out.flush().map_err(write_error)
    }
}

/// A cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so a
/// spreadsheet shows it as text instead of running it (OWASP, "CSV Injection").
pub(crate) fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
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
