//! `--format json`: one pretty-printed JSON array of scorecards.

use std::io::{self, Write};

use super::{row_value, Exporter};
use crate::batch::Row;

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn write(&self, rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
        let values: Vec<serde_json::Value> = rows.iter().map(row_value).collect();
        serde_json::to_writer_pretty(&mut *out, &values)?;
        writeln!(out)
    }
}
