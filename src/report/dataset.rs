//! The exporter shape of callqa's datasets beside scorecards — promises
//! ([`super::promises`]) and complaint hotspots ([`super::hotspots`]): one
//! [`DatasetExporter`] per dataset and [`DatasetFormat`], each in the
//! dataset's own file, all taking the reader's [`Lang`].
//!
//! Why a second trait beside [`super::Exporter`]: that one writes a batch of
//! scored rows; these write one computed dataset (a follow-through result,
//! a hotspot report) whose human text exists in two languages. Machine
//! fields (ids, statuses, numbers, JSON keys, CSV headers) never change with
//! the language, so scripts and spreadsheets read both alike.

use std::io::{self, Write};

use crate::i18n::Lang;

/// The formats of `callqa promises` and `callqa hotspots`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DatasetFormat {
    /// Aligned text for a terminal or a mail.
    #[default]
    Text,
    /// Pretty JSON for scripts.
    Json,
    /// CSV for Excel, through the one CSV writer.
    Csv,
}

/// Writes dataset `D` in one format for a person reading `lang`.
pub trait DatasetExporter<D: ?Sized> {
    fn write(&self, data: &D, lang: Lang, out: &mut dyn Write) -> io::Result<()>;

    /// The whole output as a string.
    fn render(&self, data: &D, lang: Lang) -> String {
        let mut bytes = Vec::new();
        // Writing to memory fails only on allocation failure, which aborts.
        let _ = self.write(data, lang, &mut bytes);
        // Every exporter writes UTF-8 text.
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// English count nouns: `1 call`, `2 calls`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Terminal columns: CJK and full-width characters take two.
pub(crate) fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let wide = crate::text::is_cjk(c)
                || matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// `text` padded with spaces on the right to `width` terminal columns.
pub(crate) fn pad_right(text: &str, width: usize) -> String {
    let mut out = text.to_string();
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(display_width(text)),
    ));
    out
}

/// `text` padded with spaces on the left to `width` terminal columns.
pub(crate) fn pad_left(text: &str, width: usize) -> String {
    let mut out: String =
        std::iter::repeat_n(' ', width.saturating_sub(display_width(text))).collect();
    out.push_str(text);
    out
}
