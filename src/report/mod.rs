//! Exporters: scorecards in `text`, `json`, `jsonl` and `csv`, one file per
//! format behind the [`Exporter`] trait.
//!
//! JSON Lines envelope: one scorecard object per line (the PRODUCT.md
//! contract plus `file`), or, for an input that could not be scored,
//! `{"file": …, "error": …}`.

mod csv_format;
mod json;
mod jsonl;
mod text;

use std::io::{self, Write};

use crate::batch::Row;

pub use csv_format::{guard_cell, scorecard_table, write_table, CsvExporter, Table, BOM};
pub use json::JsonExporter;
pub use jsonl::JsonlExporter;
pub use text::{visible, visible_lines, TextExporter};

/// Writes a batch of rows in one format.
pub trait Exporter {
    fn write(&self, rows: &[Row], out: &mut dyn Write) -> io::Result<()>;
}

/// The output formats of `callqa score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Csv,
}

pub fn exporter(format: Format, color: bool) -> Box<dyn Exporter> {
    match format {
        Format::Text => Box::new(TextExporter { color }),
        Format::Json => Box::new(JsonExporter),
        Format::Jsonl => Box::new(JsonlExporter),
        Format::Csv => Box::new(CsvExporter),
    }
}

/// A scorecard as JSON with the input file first after the call id.
pub(crate) fn row_value(row: &Row) -> serde_json::Value {
    match &row.result {
        Ok(card) => {
            let mut value = serde_json::to_value(card).expect("scorecards serialise");
            if let serde_json::Value::Object(map) = &mut value {
                let mut with_file = serde_json::Map::new();
                for (k, v) in std::mem::take(map) {
                    let is_call_id = k == "call_id";
                    with_file.insert(k, v);
                    if is_call_id {
                        with_file.insert("file".into(), row.file.display().to_string().into());
                    }
                }
                *map = with_file;
            }
            value
        }
        Err(message) => serde_json::json!({
            "file": row.file.display().to_string(),
            "error": message,
        }),
    }
}
