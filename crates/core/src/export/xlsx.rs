//! XLSX through rust_xlsxwriter in constant-memory mode: rows are flushed to a temp file as they
//! are written (beside the export, not in /tmp), so a million-lead sheet does not sit in memory. Cells are written as strings,
//! never formulas, so there is nothing for Excel to run.

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{COLUMNS, field_cell};
use crate::error::{Error, Result};
use crate::store::leads::BatchRow;

/// Excel's row limit, header included.
const MAX_ROWS: u32 = 1_048_576;

pub(crate) struct Writer<'f> {
    workbook: Workbook,
    field_names: &'f [String],
    row: u32,
    file: std::fs::File,
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
        Ok(Writer { workbook, field_names, row: 0, file })
    }

    fn sheet(&mut self) -> Result<&mut Worksheet> {
        self.workbook.worksheet_from_index(0).map_err(err)
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
        let sheet = self.sheet()?;
        for (i, cell) in cells.iter().chain(fields.iter()).enumerate() {
            if !cell.is_empty() {
                sheet.write_string(row, col(i)?, cell.as_ref()).map_err(|e| match e {
                    // Named by the lead's id and the column, never by what it holds.
                    XlsxError::MaxStringLengthExceeded => {
                        let column =
                            COLUMNS.get(i).copied().unwrap_or_else(|| &field_names[i - COLUMNS.len()]);
                        Error::invalid(format!(
                            "lead {} has a {column:?} longer than the 32,767 characters an Excel cell holds; \
                             export as CSV or JSON to keep it whole",
                            cells[0]
                        ))
                    }
                    e => err(e),
                })?;
            }
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
