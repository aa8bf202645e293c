//! Punctuation dropped, or written as pauses.

use super::{inside_number, is_clause_mark, mutation, Apply, Settings, Variant};
use crate::i18n::Text;
use crate::transcript::Transcript;

mutation! {
    /// Punctuation and pauses written differently, three variants:
    /// `removed` (no punctuation at all, as much ASR output comes), `spaces`
    /// (every clause mark a space, as Whisper marks a pause) and `ellipses`
    /// (every clause mark `...`). Marks inside numbers (3.5, 6:30) and
    /// redaction placeholders ([姓名]) are left alone.
    ///
    /// Must keep every verdict: phrases are what was said, not how a
    /// transcriber punctuated it.
    pub static PUNCTUATION = ("punctuation", ["标点与停顿", "punctuation"], Apply::Keep(apply));
}

fn apply(call: &Transcript, _: &Settings) -> Vec<Variant> {
    [
        (Text::new("去掉标点", "removed"), ""),
        (Text::new("停顿为空格", "spaces"), " "),
        (Text::new("停顿为省略号", "ellipses"), "..."),
    ]
    .into_iter()
    .map(|(label, with)| Variant::map_texts(label, call, |_, text| rewrite(text, with)))
    .filter(|v| v.differs_from(call))
    .collect()
}

/// Every run of clause marks (and quotes) in `text` replaced by `with`;
/// leading and trailing ones dropped.
pub fn rewrite(text: &str, with: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut pending = false;
    for (i, &c) in chars.iter().enumerate() {
        let mark = (is_clause_mark(c) || is_quote(c) || matches!(c, '.' | ':' | '～' | '~' | '—'))
            && !inside_number(&chars, i);
        if mark || (with.is_empty() && c == ' ' && !latin_around(&chars, i)) {
            pending = true;
            continue;
        }
        if pending && !out.is_empty() {
            out.push_str(with);
        }
        pending = false;
        out.push(c);
    }
    out
}

fn is_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '“' | '”' | '‘' | '’' | '「' | '」' | '『' | '』' | '\''
    )
}

/// A space between two Latin words carries meaning; between Chinese it is a pause.
fn latin_around(chars: &[char], i: usize) -> bool {
    i > 0
        && chars[i - 1].is_ascii_alphanumeric()
        && chars.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric())
}
