//! JSON (one array) and NDJSON (one object per line), with the same field names as
//! `leadvault leads list --json`. The array's brackets and the commas between pieces are the
//! file writer's (`Sink`); this renders the rows.

use super::write_error;
use crate::error::Result;
use crate::store::leads::RowBatch;

/// Appends the batch's leads to `out`: separated by `,\n` inside an array, or each followed by
/// a line end for NDJSON.
pub(crate) fn render(batch: &RowBatch, ndjson: bool, out: &mut Vec<u8>) -> Result<()> {
    for (i, lead) in batch.leads().enumerate() {
        if !ndjson && i > 0 {
            out.extend_from_slice(b",\n");
        }
        serde_json::to_writer(&mut *out, &lead?).map_err(write_error)?;
        if ndjson {
            out.push(b'\n');
        }
    }
    Ok(())
}
