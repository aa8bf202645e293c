//! The two languages callqa writes for people: Chinese (zh-CN, the default,
//! because the people who read scorecards work in Chinese call centres) and
//! English (`--lang en`).
//!
//! This module owns the choice ([`Lang`]) and the one shape of a text that
//! exists in both languages ([`Text`]). Machine fields (ids, verdicts,
//! times, JSON field names, `check`'s `N passed, N failed`) never change
//! with the language; only what a person reads does.

use serde::{Deserialize, Serialize};

/// The language of everything a person reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Lang {
    /// 简体中文 (zh-CN)
    #[default]
    #[value(name = "zh", alias = "zh-CN", alias = "zh-cn", alias = "cn")]
    Zh,
    /// English
    #[value(name = "en", alias = "en-US", alias = "en-us")]
    En,
}

impl Lang {
    /// `zh` or `en`, as written on the command line and in `<html lang>`
    /// (with [`Lang::html_tag`]).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The BCP 47 tag for HTML's `lang` attribute.
    pub fn html_tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Picks the text written for this language.
    pub fn pick<T>(self, zh: T, en: T) -> T {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" | "zh_cn" => Ok(Lang::Zh),
            "en" | "en-us" | "en_us" | "en-gb" => Ok(Lang::En),
            other => Err(format!(
                "`{other}` is not a language callqa writes; use zh (简体中文) or en (English)"
            )),
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A text a person reads, in both languages. Rubric files may write it as
/// a plain string (used for both languages) or as `{ zh = "…", en = "…" }`;
/// a missing side falls back to the other one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "TextRepr")]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    /// The same words for both languages (a rubric that wrote one string).
    pub fn same(text: impl Into<String>) -> Text {
        let text = text.into();
        Text {
            zh: text.clone(),
            en: text,
        }
    }

    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        let (first, second) = lang.pick((&self.zh, &self.en), (&self.en, &self.zh));
        if first.is_empty() {
            second
        } else {
            first
        }
    }

    pub fn is_empty(&self) -> bool {
        self.zh.is_empty() && self.en.is_empty()
    }
}

impl schemars::JsonSchema for Text {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Words a person reads: one string for both languages, or { zh = \"…\", en = \"…\" }.",
            "anyOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "properties": { "zh": { "type": "string" }, "en": { "type": "string" } },
                    "additionalProperties": false
                }
            ]
        })
    }
}

impl std::fmt::Display for Text {
    /// The Chinese side (the default language); use [`Text::get`] to choose.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.get(Lang::Zh))
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TextRepr {
    One(String),
    Both {
        #[serde(default)]
        zh: String,
        #[serde(default)]
        en: String,
    },
}

impl From<TextRepr> for Text {
    fn from(repr: TextRepr) -> Text {
        match repr {
            TextRepr::One(s) => Text::same(s),
            TextRepr::Both { zh, en } => Text { zh, en },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reads_a_string_or_a_table_and_falls_back() {
        let one: Text = serde_json::from_str(r#""问候语""#).unwrap();
        assert_eq!(one.get(Lang::En), "问候语");
        let both: Text = serde_json::from_str(r#"{"zh": "问候语", "en": "a greeting"}"#).unwrap();
        assert_eq!(both.get(Lang::Zh), "问候语");
        assert_eq!(both.get(Lang::En), "a greeting");
        let zh_only: Text = serde_json::from_str(r#"{"zh": "问候语"}"#).unwrap();
        assert_eq!(zh_only.get(Lang::En), "问候语");
    }

    #[test]
    fn lang_parses_the_usual_spellings() {
        assert_eq!("zh-CN".parse::<Lang>().unwrap(), Lang::Zh);
        assert_eq!("EN".parse::<Lang>().unwrap(), Lang::En);
        assert!("fr".parse::<Lang>().unwrap_err().contains("zh"));
        assert_eq!(Lang::default(), Lang::Zh);
    }
}
