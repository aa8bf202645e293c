//! `--format json`: one pretty-printed JSON array of scorecards, reasons in
//! the chosen language.

use std::io::{self, Write};

use super::{row_value, Exporter};
use crate::batch::Row;
use crate::i18n::Lang;

/// Reasons in `lang`; every other field is the same in both languages.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonExporter {
    pub lang: Lang,
}

impl Exporter for JsonExporter {
    fn write(&self, rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
        let values: Vec<serde_json::Value> =
            rows.iter().map(|row| row_value(row, self.lang)).collect();
        serde_json::to_writer_pretty(&mut *out, &values)?;
        writeln!(out)
    }
}
