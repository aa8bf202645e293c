//! Thin wrappers kept while `src/main.rs` still calls them: the exporters of
//! `callqa promises` are in [`crate::report::promises`] and take the
//! reader's language. These write English, as the command did before
//! `--lang`; delete this file once nothing calls them.

use super::FollowThrough;
use crate::i18n::Lang;
use crate::report::{render_promises, DatasetFormat};

/// [`render_promises`] as text, in English.
pub fn render_text(result: &FollowThrough) -> String {
    render_promises(result, DatasetFormat::Text, Lang::En)
}

/// [`render_promises`] as JSON, reasons in English.
pub fn render_json(result: &FollowThrough) -> String {
    render_promises(result, DatasetFormat::Json, Lang::En)
}

/// [`render_promises`] as CSV, reasons in English.
pub fn render_csv(result: &FollowThrough) -> String {
    render_promises(result, DatasetFormat::Csv, Lang::En)
}
