//! The catalog of Whisper models callqa knows — `models/catalog.toml` at the top of the
//! repository, compiled into the binary — and its table for `callqa models list`.
//!
//! The catalog is the one place the facts about a model live: its file name, how callqa obtains
//! it (fetched from a package registry, quantized from another model, or imported from a
//! faster-whisper folder), the registry packages, size, sha256, licence, and the speed and
//! character error rate measured on this project's calls. The fetch code reads them from here
//! ([`catalog`]); the few `pub const`s of [`crate::models`] that must be compile-time constants
//! (a clap default, test expectations) are read out of the same text at compile time by
//! [`const_field`], so a catalog edit changes both, and a missing key fails the build.
//!
//! A value nobody has measured is written `"unknown"` in the file and is [`Known::Unknown`]
//! here: the catalog never guesses.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::Deserialize;

use super::{ListedModel, Verification};
use crate::i18n::{Lang, Text};

/// The catalog's text, as compiled in.
pub const CATALOG_TOML: &str = include_str!("../../models/catalog.toml");

/// Where the file lives in the repository (for messages and the README).
pub const CATALOG_PATH: &str = "models/catalog.toml";

/// The parsed catalog.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// The model `callqa run` uses without `--model`.
    pub default_model: String,
    /// Audio the speed and CER rows were measured on, by key.
    pub audio_sets: BTreeMap<String, AudioSet>,
    /// Every known model, in the catalog's order.
    #[serde(rename = "model")]
    pub models: Vec<CatalogModel>,
}

/// A set of recordings measurements refer to.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioSet {
    pub description: Text,
}

/// How callqa gets a model's file into the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Obtain {
    /// `callqa models fetch NAME`: downloaded from a package registry (and converted).
    Fetch,
    /// Made from the cached `quantize_from` model by `callqa models fetch BASE --quantize Q`,
    /// or on first use.
    Quantize,
    /// No registry carries it: `callqa models import-ct2 DIR --name NAME`.
    ImportCt2,
}

/// A value that was measured or stated, or honestly `"unknown"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known<T> {
    Value(T),
    Unknown,
}

impl<T> Known<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Known::Value(v) => Some(v),
            Known::Unknown => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Known<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A string is tried first so that "unknown" is never read as a `String` value.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr<T> {
            Word(String),
            Value(T),
        }
        match Repr::<T>::deserialize(d)? {
            Repr::Word(w) if w == "unknown" => Ok(Known::Unknown),
            Repr::Word(w) => {
                let as_value =
                    serde::de::value::StringDeserializer::<serde::de::value::Error>::new(w.clone());
                T::deserialize(as_value).map(Known::Value).map_err(|_| {
                    serde::de::Error::custom(format!(
                        "`{w}` is neither a value of the right type nor \"unknown\""
                    ))
                })
            }
            Repr::Value(v) => Ok(Known::Value(v)),
        }
    }
}

/// One model of the catalog.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogModel {
    /// The name used with `--model` and `models fetch` ("base", "base-q8_0").
    pub name: String,
    /// Its file in the model cache ("ggml-base.bin").
    pub file: String,
    /// "ggml f16", "ggml q8_0".
    pub format: String,
    /// "multilingual" or "English only".
    pub languages: String,
    pub obtain: Obtain,
    /// For [`Obtain::Quantize`]: the model it is made from.
    #[serde(default)]
    pub quantize_from: Option<String>,
    /// Bytes of the file.
    pub size: Known<u64>,
    /// The sum a cached file must have (pinned); `Unknown` when none is pinned.
    pub sha256: Known<String>,
    /// The sum of whisper.cpp's own published file, also accepted.
    #[serde(default)]
    pub sha256_official: Option<String>,
    /// For files whose bytes depend on the build (quantized): what this machine produced.
    /// Informative only; the cache's manifest records each machine's own sum.
    #[serde(default)]
    pub sha256_here: Option<String>,
    pub licence: String,
    pub note: Text,
    /// Package-registry packages that carry the weights (tried in order).
    #[serde(default)]
    pub sources: Vec<RegistrySource>,
    /// Speed measured here (empty: not measured).
    #[serde(default)]
    pub speed: Vec<SpeedMeasurement>,
    /// Character error rate measured here (empty: not measured).
    #[serde(default)]
    pub cer: Vec<CerMeasurement>,
}

/// Packages of a package registry that together hold a model.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySource {
    /// The registry by name ("PyPI"); never a host name.
    pub registry: String,
    /// Package names; several when the model is split over several packages.
    pub packages: Vec<String>,
    pub version: String,
    /// What the packages hold.
    pub format: String,
}

/// One end-to-end `callqa run` timing (decode, VAD, Whisper, scoring, outputs).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeedMeasurement {
    /// Key of [`Catalog::audio_sets`].
    pub set: String,
    pub workers: u32,
    pub threads: u32,
    /// Real-time factor: wall seconds ÷ audio seconds.
    pub rtf: f64,
    #[serde(default)]
    pub cpu_seconds: Option<f64>,
    #[serde(default)]
    pub peak_rss_mb: Option<u64>,
    /// Date of the measurement (YYYY-MM-DD).
    pub measured: String,
}

/// Character error rate of callqa's transcripts against the human reference.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CerMeasurement {
    /// Key of [`Catalog::audio_sets`].
    pub set: String,
    pub percent: f64,
    pub measured: String,
}

impl Catalog {
    /// Parses catalog text and checks what serde cannot: unique names, known references.
    pub fn parse(text: &str) -> Result<Catalog, String> {
        let catalog: Catalog = toml::from_str(text).map_err(|e| format!("{CATALOG_PATH}: {e}"))?;
        catalog.check()?;
        Ok(catalog)
    }

    fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for m in &self.models {
            let bad = |what: String| Err(format!("{CATALOG_PATH}: model `{}`: {what}", m.name));
            if !seen.insert(m.name.as_str()) {
                return bad("listed twice".into());
            }
            if m.file != super::file_name_for(&m.name) {
                return bad(format!(
                    "file `{}` should be `{}` (the cache names files after models)",
                    m.file,
                    super::file_name_for(&m.name)
                ));
            }
            let sums = [
                m.sha256.value(),
                m.sha256_official.as_ref(),
                m.sha256_here.as_ref(),
            ];
            for sum in sums.into_iter().flatten() {
                if sum.len() != 64 || !sum.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return bad(format!("`{sum}` is not a lower-case hex sha256"));
                }
            }
            match (m.obtain, &m.quantize_from) {
                (Obtain::Quantize, None) => {
                    return bad("a quantized model needs quantize_from".into())
                }
                (Obtain::Quantize, Some(from)) if !self.models.iter().any(|o| &o.name == from) => {
                    return bad(format!("quantize_from `{from}` is not in the catalog"))
                }
                (Obtain::Fetch | Obtain::ImportCt2, Some(_)) => {
                    return bad("only a quantized model has quantize_from".into())
                }
                _ => {}
            }
            if m.obtain == Obtain::Fetch && m.sources.is_empty() {
                return bad("a fetched model needs at least one [[model.sources]]".into());
            }
            let sets = m
                .speed
                .iter()
                .map(|s| &s.set)
                .chain(m.cer.iter().map(|c| &c.set));
            for set in sets {
                if !self.audio_sets.contains_key(set) {
                    return bad(format!("audio set `{set}` is not in [audio_sets]"));
                }
            }
        }
        if !self.models.iter().any(|m| m.name == self.default_model) {
            return Err(format!(
                "{CATALOG_PATH}: default_model `{}` is not in the catalog",
                self.default_model
            ));
        }
        Ok(())
    }

    /// The entry for `name` ("base", "ggml-base.bin" alike).
    pub fn model(&self, name: &str) -> Option<&CatalogModel> {
        let name = super::normalise_name(name);
        self.models.iter().find(|m| m.name == name)
    }
}

/// The catalog compiled into this binary, parsed on first use.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    // The text is fixed at compile time and `tests/models_catalog.rs` parses it, so a failure
    // here is a build that skipped its tests.
    CATALOG.get_or_init(|| Catalog::parse(CATALOG_TOML).unwrap_or_else(|e| panic!("{e}")))
}

// ---------------------------------------------------------------------------------------------
// Compile-time reads, for the constants that must stay `const`.

/// The value of `key` in the catalog: top-level when `model` is empty, else in the `[[model]]`
/// named `model` (its own keys, before any sub-table). Strings are returned without quotes.
/// Evaluated at compile time; a missing key is a build error naming it.
pub const fn const_field(model: &str, key: &str) -> &'static str {
    let text = CATALOG_TOML.as_bytes();
    let model = model.as_bytes();
    let key = key.as_bytes();
    let mut in_wanted = model.is_empty();
    let mut in_model_header = false;
    let mut line_start = 0;
    while line_start < text.len() {
        let mut line_end = line_start;
        while line_end < text.len() && text[line_end] != b'\n' {
            line_end += 1;
        }
        let line = subslice(text, line_start, line_end);
        if !line.is_empty() && line[0] == b'[' {
            // A header: `[[model]]` opens a model; anything else ends the keys we may read.
            in_model_header = starts_with(line, b"[[model]]");
            in_wanted = false;
        } else if in_model_header && !model.is_empty() && value_of(line, b"name").is_some() {
            if let Some(name) = value_of(line, b"name") {
                in_wanted = eq(name, model);
            }
        } else if in_wanted {
            if let Some(value) = value_of(line, key) {
                return match core::str::from_utf8(value) {
                    Ok(s) => s,
                    Err(_) => panic!("models/catalog.toml: a value is not UTF-8"),
                };
            }
        }
        line_start = line_end + 1;
    }
    panic!("models/catalog.toml: a key read by src/models/mod.rs is missing")
}

/// The name of the first `[[model]]` whose own `key` is `value` (e.g. `obtain = "fetch"`),
/// at compile time like [`const_field`].
pub const fn const_model_with(key: &str, value: &str) -> &'static str {
    let text = CATALOG_TOML.as_bytes();
    let (key, value) = (key.as_bytes(), value.as_bytes());
    let mut in_model_header = false;
    let mut name: &[u8] = &[];
    let mut line_start = 0;
    while line_start < text.len() {
        let mut line_end = line_start;
        while line_end < text.len() && text[line_end] != b'\n' {
            line_end += 1;
        }
        let line = subslice(text, line_start, line_end);
        if !line.is_empty() && line[0] == b'[' {
            in_model_header = starts_with(line, b"[[model]]");
            name = &[];
        } else if in_model_header {
            if let Some(n) = value_of(line, b"name") {
                name = n;
            } else if let Some(v) = value_of(line, key) {
                if eq(v, value) && !name.is_empty() {
                    return match core::str::from_utf8(name) {
                        Ok(s) => s,
                        Err(_) => panic!("models/catalog.toml: a name is not UTF-8"),
                    };
                }
            }
        }
        line_start = line_end + 1;
    }
    panic!("models/catalog.toml: no model has the key and value src/models/mod.rs looks for")
}

/// [`const_field`] as a number (digits and `_`).
pub const fn const_u64(model: &str, key: &str) -> u64 {
    let digits = const_field(model, key).as_bytes();
    let mut n: u64 = 0;
    let mut i = 0;
    while i < digits.len() {
        match digits[i] {
            b'0'..=b'9' => n = n * 10 + (digits[i] - b'0') as u64,
            b'_' => {}
            _ => panic!("models/catalog.toml: a size read by src/models/mod.rs is not a number"),
        }
        i += 1;
    }
    n
}

/// `key = value` on this line: the value unquoted (a string) or up to a space or `#`.
const fn value_of<'a>(line: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    if !starts_with(line, key) {
        return None;
    }
    let mut i = key.len();
    while i < line.len() && line[i] == b' ' {
        i += 1;
    }
    if i >= line.len() || line[i] != b'=' {
        return None;
    }
    i += 1;
    while i < line.len() && line[i] == b' ' {
        i += 1;
    }
    if i < line.len() && line[i] == b'"' {
        let start = i + 1;
        let mut end = start;
        while end < line.len() && line[end] != b'"' {
            end += 1;
        }
        return Some(subslice(line, start, end));
    }
    let start = i;
    let mut end = start;
    while end < line.len() && line[end] != b' ' && line[end] != b'#' && line[end] != b'\r' {
        end += 1;
    }
    Some(subslice(line, start, end))
}

const fn subslice(bytes: &[u8], start: usize, end: usize) -> &[u8] {
    let (_, rest) = bytes.split_at(start);
    let (mid, _) = rest.split_at(end - start);
    mid
}

const fn starts_with(bytes: &[u8], prefix: &[u8]) -> bool {
    if bytes.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if bytes[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && starts_with(a, b)
}

// ---------------------------------------------------------------------------------------------
// The table people read.

/// The catalog as a table, one row per model, followed by the files in the model cache: which
/// catalog models are installed, their verification, and any other models found there.
/// `installed` is what [`super::list`] returns. Chinese by default; English with `Lang::En`.
pub fn render_catalog(lang: Lang, installed: &[ListedModel]) -> String {
    let cat = catalog();
    let t = |zh: &'static str, en: &'static str| lang.pick(zh, en);
    let unknown = t("未知", "unknown");
    let not_measured = t("未测", "not measured");

    let header = vec![
        t("模型", "model"),
        t("获取方式", "how to get it"),
        t("包仓库", "registry"),
        t("大小", "size"),
        "sha256",
        t("许可", "licence"),
        t("实时率", "RTF"),
        t("字错率", "CER"),
        t("已安装", "installed"),
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    let mut rows = vec![header];
    for m in &cat.models {
        let mut name = m.name.clone();
        if m.name == cat.default_model {
            name.push_str(t("（默认）", " (default)"));
        }
        let how = match m.obtain {
            Obtain::Fetch => format!("callqa models fetch {}", m.name),
            Obtain::Quantize => {
                let from = m.quantize_from.as_deref().unwrap_or("");
                let q = m
                    .name
                    .strip_prefix(from)
                    .unwrap_or("")
                    .trim_start_matches('-');
                format!("callqa models fetch {from} --quantize {q}")
            }
            Obtain::ImportCt2 => format!("callqa models import-ct2 DIR --name {}", m.name),
        };
        // Packages are listed under the table: a pair of package names would double its width.
        let source = match (m.obtain, m.sources.first()) {
            (Obtain::Quantize, _) => "—".to_owned(),
            (_, Some(s)) => lang.pick(
                format!("{}（见下）", s.registry),
                format!("{} (below)", s.registry),
            ),
            (_, None) => t("无", "none").to_owned(),
        };
        let size = match m.size.value() {
            Some(&bytes) => format!("{:.1} MB", bytes as f64 / 1e6),
            None => unknown.to_owned(),
        };
        let sha = match (m.sha256.value(), &m.sha256_here) {
            (Some(sum), _) => short_sum(sum),
            (None, Some(here)) => lang.pick(
                format!("{}（本机）", short_sum(here)),
                format!("{} (this machine)", short_sum(here)),
            ),
            (None, None) => unknown.to_owned(),
        };
        // The default configuration's row (2 workers × 1 thread) when there is one.
        let speed = m
            .speed
            .iter()
            .find(|s| s.workers == 2 && s.threads == 1)
            .or(m.speed.first())
            .map(|s| format!("{:.3} ({}×{})", s.rtf, s.workers, s.threads))
            .unwrap_or_else(|| not_measured.to_owned());
        let cer = m
            .cer
            .first()
            .map(|c| format!("{:.1} %", c.percent))
            .unwrap_or_else(|| not_measured.to_owned());
        let state = match installed.iter().find(|i| i.name == m.name) {
            None => t("否", "no").to_owned(),
            Some(i) => verification_word(lang, &i.verification).to_owned(),
        };
        rows.push(vec![
            name,
            how,
            source,
            size,
            sha,
            m.licence.clone(),
            speed,
            cer,
            state,
        ]);
    }

    let mut out = String::new();
    out.push_str(t(
        "callqa 已知的 Whisper 模型（目录：models/catalog.toml，已编入程序）\n\n",
        "Whisper models callqa knows (catalog: models/catalog.toml, compiled in)\n\n",
    ));
    write_table(&mut out, &rows);

    out.push('\n');
    out.push_str(t(
        "实时率 = 处理耗时 ÷ 录音时长（整条 callqa run，本项目的 2 核机器，worker×线程）；\
         字错率 = 与人工转写相比的汉字错误率。测量所用录音：\n",
        "RTF = wall time ÷ audio time (a whole `callqa run` on this project's 2-core machine, \
         workers × threads); CER = character error rate against human transcripts. Measured on:\n",
    ));
    let mut used: Vec<&str> = cat
        .models
        .iter()
        .flat_map(|m| {
            m.speed
                .iter()
                .map(|s| s.set.as_str())
                .chain(m.cer.iter().map(|c| c.set.as_str()))
        })
        .collect();
    used.sort_unstable();
    used.dedup();
    for key in used {
        if let Some(set) = cat.audio_sets.get(key) {
            let _ = writeln!(out, "  {key}: {}", set.description.get(lang));
        }
    }
    for m in cat.models.iter().filter(|m| !m.sources.is_empty()) {
        let sources: Vec<String> = m
            .sources
            .iter()
            .map(|s| format!("{} {} {}", s.registry, s.packages.join(" + "), s.version))
            .collect();
        let _ = writeln!(
            out,
            "  {}{}{}",
            m.name,
            t(" 的来源（依次尝试）：", " comes from (tried in order): "),
            sources.join(t("；", "; "))
        );
    }
    if cat
        .models
        .iter()
        .any(|m| m.sha256.value().is_none() && m.sha256_here.is_some())
    {
        out.push_str(t(
            "  （本机）：量化文件的字节随编译选项而变，显示的是本机生成文件的 sha256，不作固定校验值。\n",
            "  (this machine): a quantized file's bytes depend on the build; the sum shown is the one made here, not a pinned one.\n",
        ));
    }
    for m in &cat.models {
        if m.cer.len() > 1 {
            let all: Vec<String> = m
                .cer
                .iter()
                .map(|c| format!("{} {:.1} %", c.set, c.percent))
                .collect();
            let _ = writeln!(
                out,
                "  {}{}{}",
                m.name,
                t(" 的字错率：", " CER: "),
                all.join(t("，", ", "))
            );
        }
    }

    out.push('\n');
    if installed.is_empty() {
        out.push_str(t(
            "模型缓存中还没有模型；运行 `callqa models fetch base` 获取。\n",
            "No models in the model cache yet; run `callqa models fetch base`.\n",
        ));
        return out;
    }
    out.push_str(t("模型缓存中的文件：\n", "Files in the model cache:\n"));
    let mut files = vec![vec![
        t("模型", "model").to_owned(),
        t("大小（字节）", "bytes").to_owned(),
        "sha256".to_owned(),
        t("校验", "check").to_owned(),
        t("路径", "path").to_owned(),
    ]];
    for i in installed {
        let mut check = verification_word(lang, &i.verification).to_owned();
        if cat.model(&i.name).is_none() {
            check.push_str(t("（不在目录中）", " (not in the catalog)"));
        }
        if let Verification::Mismatch { .. } = i.verification {
            let _ = write!(
                check,
                "{}{}",
                t("，修复：", "; fix: "),
                super::fix_command(&i.name)
            );
        }
        files.push(vec![
            i.name.clone(),
            i.size.to_string(),
            i.sha256.clone(),
            check,
            i.path.display().to_string(),
        ]);
    }
    write_table(&mut out, &files);
    out
}

fn verification_word(lang: Lang, v: &Verification) -> &'static str {
    match v {
        Verification::Verified => lang.pick("已校验", "verified"),
        Verification::Unrecorded => lang.pick("无记录", "unrecorded"),
        Verification::Mismatch { .. } => lang.pick("已损坏", "CORRUPT"),
    }
}

fn short_sum(sum: &str) -> String {
    format!("{}…", &sum[..sum.len().min(12)])
}

/// Columns padded to the widest cell, counting a CJK character as two columns.
fn write_table(out: &mut String, rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| display_width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < row.len() {
                line.extend(std::iter::repeat_n(
                    ' ',
                    widths[c] - display_width(cell) + 2,
                ));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// Terminal columns of a string: East Asian wide and full-width characters take two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn const_reads_agree_with_the_parsed_catalog() {
        let cat = Catalog::parse(CATALOG_TOML).unwrap();
        assert_eq!(const_field("", "default_model"), cat.default_model);
        let base = cat.model("base").unwrap();
        assert_eq!(Some(&const_u64("base", "size")), base.size.value());
        assert_eq!(const_field("base", "sha256"), base.sha256.value().unwrap());
        // A key of another model is not read as this one's.
        assert_eq!(const_field("base-q5_1", "size"), "59707625");
        let fetched: Vec<&str> = cat
            .models
            .iter()
            .filter(|m| m.obtain == Obtain::Fetch)
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(fetched, [const_model_with("obtain", "fetch")]);
    }

    #[test]
    fn unknown_is_the_only_word_a_value_may_be() {
        let text = CATALOG_TOML.replacen("size = 147951465", "size = \"big\"", 1);
        let err = Catalog::parse(&text).unwrap_err();
        assert!(err.contains("unknown"), "{err}");
    }

    #[test]
    fn display_width_counts_cjk_twice() {
        assert_eq!(display_width("模型"), 4);
        assert_eq!(display_width("base"), 4);
        assert_eq!(display_width("（默认）"), 8);
    }
}
