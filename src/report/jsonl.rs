//! `--format jsonl`: one scorecard (or error row) per line.

use std::io::{self, Write};

use super::{row_value, Exporter};
use crate::batch::Row;

pub struct JsonlExporter;

impl Exporter for JsonlExporter {
    fn write(&self, rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
        for row in rows {
            serde_json::to_writer(&mut *out, &row_value(row))?;
            writeln!(out)?;
        }
        Ok(())
    }
}
