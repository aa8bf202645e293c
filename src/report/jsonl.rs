//! `--format jsonl`: one scorecard (or error row) per line, reasons in the
//! chosen language.

use std::io::{self, Write};

use super::{row_value, Exporter};
use crate::batch::Row;
use crate::i18n::Lang;

/// Reasons in `lang`; every other field is the same in both languages.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonlExporter {
    pub lang: Lang,
}

impl Exporter for JsonlExporter {
    fn write(&self, rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
        for row in rows {
            serde_json::to_writer(&mut *out, &row_value(row, self.lang))?;
            writeln!(out)?;
        }
        Ok(())
    }
}
