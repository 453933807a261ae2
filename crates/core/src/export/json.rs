//! JSON (one array) and NDJSON (one object per line), with the same field names as
//! `leadvault leads list --json`.

use std::fs::File;
use std::io::{BufWriter, Write};

use super::{RowWriter, write_error};
use crate::domain::Lead;
use crate::error::Result;

pub(crate) struct Writer {
    out: BufWriter<File>,
    ndjson: bool,
    rows: u64,
}

impl Writer {
    pub fn new(mut out: BufWriter<File>, ndjson: bool) -> Result<Self> {
        if !ndjson {
            out.write_all(b"[").map_err(write_error)?;
        }
        Ok(Writer { out, ndjson, rows: 0 })
    }
}

impl RowWriter for Writer {
    fn write(&mut self, lead: &Lead) -> Result<()> {
        let sep: &[u8] = match (self.ndjson, self.rows) {
            (true, _) => b"",
            (false, 0) => b"\n",
            (false, _) => b",\n",
        };
        self.out.write_all(sep).map_err(write_error)?;
        serde_json::to_writer(&mut self.out, lead).map_err(write_error)?;
        if self.ndjson {
            self.out.write_all(b"\n").map_err(write_error)?;
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        if !self.ndjson {
            self.out.write_all(b"\n]\n").map_err(write_error)?;
        }
        self.out.flush().map_err(write_error)
    }
}
