//! Thin wrappers kept while `src/main.rs` still calls them: the exporters of
//! `callqa hotspots` are in [`crate::report::hotspots`] and take the
//! reader's language. These write English, as the command did before
//! `--lang`; delete this file once nothing calls them.

use super::HotspotReport;
use crate::i18n::Lang;
use crate::report::{render_hotspots, DatasetFormat};

/// [`render_hotspots`] as text, in English.
pub fn render_text(report: &HotspotReport) -> String {
    render_hotspots(report, DatasetFormat::Text, Lang::En)
}

/// [`render_hotspots`] as JSON.
pub fn render_json(report: &HotspotReport) -> String {
    render_hotspots(report, DatasetFormat::Json, Lang::En)
}

/// [`render_hotspots`] as CSV.
pub fn render_csv(report: &HotspotReport) -> String {
    render_hotspots(report, DatasetFormat::Csv, Lang::En)
}
