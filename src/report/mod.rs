//! Exporters: scorecards in `text`, `json`, `jsonl` and `csv`, one file per
//! format behind the [`Exporter`] trait, in the language of
//! [`ExportOptions::lang`].
//!
//! What changes with the language is only what a person reads: the text
//! scorecard, each item's `reason`, the CSV's evidence column, item titles.
//! Machine fields never change: JSON field names, ids, verdict values
//! (`pass`, `fail`, `na`, `review`), times, and the CSV header, which
//! scripts parse.
//!
//! JSON Lines envelope: one scorecard object per line (the PRODUCT.md
//! contract plus `file`), or, for an input that could not be scored,
//! `{"file": …, "error": …}`.

mod csv_format;
mod json;
mod jsonl;
mod text;
// Promises and hotspots (H7): one exporter per dataset and format.
pub mod dataset;
pub mod hotspots;
pub mod promises;
pub use dataset::{DatasetExporter, DatasetFormat};
pub use hotspots::{hotspot_table, hotspots_exporter, render_hotspots};
pub use promises::{promise_table, promises_exporter, render_promises};

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::batch::Row;
use crate::i18n::{Lang, Text};
use crate::rubric::CompiledRubric;

pub use csv_format::{
    evidence_cell, guard_cell, scorecard_table, write_table, CsvExporter, Table, BOM,
    SCORECARD_HEADER,
};
pub use json::JsonExporter;
pub use jsonl::JsonlExporter;
pub use text::{
    display_width, evidence_line, pad, seconds_span, speaker_word, verdict_word, visible,
    visible_lines, TextExporter,
};

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

/// Item titles by item id, from the rubric that scored the calls: what a
/// person reads where a scorecard has only the id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemTitles(BTreeMap<String, Text>);

impl ItemTitles {
    /// No titles (ids stand in for them).
    pub const fn none() -> ItemTitles {
        ItemTitles(BTreeMap::new())
    }

    /// The titles of `rubric`'s items (an item without a title has none).
    pub fn of(rubric: &CompiledRubric) -> ItemTitles {
        ItemTitles(
            rubric
                .items
                .iter()
                .filter(|item| !item.def.title.is_empty())
                .map(|item| (item.def.id.clone(), item.def.title.clone()))
                .collect(),
        )
    }

    /// The title of item `id` in `lang`, if the rubric gave one.
    pub fn get(&self, id: &str, lang: Lang) -> Option<&str> {
        self.0
            .get(id)
            .map(|title| title.get(lang))
            .filter(|t| !t.is_empty())
    }

    /// How a person sees item `id`: its title with the id after it (the
    /// id is what `callqa explain` and fixtures' `expect` take), e.g.
    /// `开场问候（greeting）` or `Greeting (greeting)`; the id alone when
    /// the rubric has no title for it.
    pub fn label(&self, id: &str, lang: Lang) -> String {
        match self.get(id, lang) {
            Some(title) if title != id => match lang {
                Lang::Zh => format!("{title}（{id}）"),
                Lang::En => format!("{title} ({id})"),
            },
            _ => id.to_string(),
        }
    }
}

/// How `callqa score` writes its scorecards.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// The language of what a person reads.
    pub lang: Lang,
    /// ANSI colours for the text scorecard's verdicts.
    pub color: bool,
    /// Item titles for the text scorecard and the CSV's `item_title`.
    pub titles: ItemTitles,
}

impl ExportOptions {
    /// Options for `lang`, with the titles of `rubric`'s items.
    pub fn new(lang: Lang, rubric: &CompiledRubric) -> ExportOptions {
        ExportOptions {
            lang,
            color: false,
            titles: ItemTitles::of(rubric),
        }
    }
}

/// The exporter of `format` with `options`.
pub fn exporter_with(format: Format, options: &ExportOptions) -> Box<dyn Exporter> {
    let ExportOptions {
        lang,
        color,
        titles,
    } = options.clone();
    match format {
        Format::Text => Box::new(TextExporter {
            color,
            lang,
            titles,
        }),
        Format::Json => Box::new(JsonExporter { lang }),
        Format::Jsonl => Box::new(JsonlExporter { lang }),
        Format::Csv => Box::new(CsvExporter { lang, titles }),
    }
}

/// A scorecard as JSON with the input file first after the call id, and
/// its reasons in `lang` only ([`crate::score::Scorecard::in_lang`]).
pub(crate) fn row_value(row: &Row, lang: Lang) -> serde_json::Value {
    match &row.result {
        Ok(card) => {
            let mut value = serde_json::to_value(card.in_lang(lang)).expect("scorecards serialise");
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
