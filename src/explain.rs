//! `callqa explain` and `callqa trace`: an item's documentation and its
//! rule, both read from the rubric file itself, so the explanation can never
//! drift from what runs; and every hit of every utterance of one call.
//!
//! The frame (headings, field names, scoring) is written in the reader's
//! language ([`Lang`], Chinese by default); item titles and labels come from
//! the rubric in that language, and so are what the item checks, why and
//! its example (a rubric that wrote them once shows those words in both);
//! the source quotes and the rule are shown as the rubric author wrote them.

use std::fmt::Write as _;

use crate::i18n::Lang;
use crate::rubric::schema::ItemDef;
use crate::rubric::CompiledRubric;
use crate::transcript::Role;

/// [`explain_item_in`] in English (kept while callers pass no language).
pub fn explain_item(rubric: &CompiledRubric, def: &ItemDef) -> String {
    explain_item_in(rubric, def, Lang::En)
}

/// Renders one item for a reader of `lang`: what, why, example, source,
/// scoring, the rule as TOML, and the definitions the rule uses.
pub fn explain_item_in(rubric: &CompiledRubric, def: &ItemDef, lang: Lang) -> String {
    let mut out = String::new();
    let title = def.title.get(lang);
    let title = if title.is_empty() {
        String::new()
    } else {
        format!(" — {title}")
    };
    // An item outside any section is headed by its id and title alone, not
    // by an empty pair of brackets.
    let section = if def.section.is_empty() {
        String::new()
    } else {
        format!("  [{}]", def.section.get(lang))
    };
    let _ = writeln!(out, "{}{title}{section}", def.id);
    let points = format_points(def.points);
    let scoring = match lang {
        Lang::Zh if def.critical => "关键项：不通过则整通通话不合格，得分记为 0".to_string(),
        Lang::Zh if def.flag => "提示项：不计分；条件成立时判为“待复核”".to_string(),
        Lang::Zh => format!("{points} 分"),
        Lang::En if def.critical => {
            "critical: a failure fails the whole call and sets its score to 0".to_string()
        }
        Lang::En if def.flag => {
            "flag: no points; answers `review` when the condition holds".to_string()
        }
        Lang::En if points == "1" => "1 point".to_string(),
        Lang::En => format!("{points} points"),
    };
    let _ = writeln!(
        out,
        "{} {} {}  ·  {scoring}",
        lang.pick("评分标准", "rubric"),
        rubric.id(),
        rubric.source.file.rubric.version
    );
    for (heading, body) in [
        (lang.pick("检查什么", "What"), def.what.get(lang)),
        (lang.pick("为什么", "Why"), def.why.get(lang)),
        (lang.pick("示例", "Example"), def.example.get(lang)),
        (lang.pick("出处", "Source"), def.source.as_str()),
    ] {
        if body.trim().is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{heading}{}", colon(lang));
        for line in body.trim().lines() {
            let _ = writeln!(out, "  {}", line.trim_end());
        }
    }
    let _ = writeln!(out, "\n{}{}", lang.pick("规则", "Rule"), colon(lang));
    let mut rule = toml::Table::new();
    if let Some(c) = &def.applies {
        rule.insert(
            "applies".into(),
            toml::Value::try_from(c).expect("conditions serialise"),
        );
    }
    if let Some(c) = &def.pass {
        rule.insert(
            "pass".into(),
            toml::Value::try_from(c).expect("conditions serialise"),
        );
    }
    if let Some(c) = &def.fail {
        rule.insert(
            "fail".into(),
            toml::Value::try_from(c).expect("conditions serialise"),
        );
    }
    let rendered = toml::to_string_pretty(&rule).unwrap_or_default();
    for line in rendered.lines() {
        let _ = writeln!(out, "  {line}");
    }
    let definitions = definitions_used(rubric, &toml::Value::Table(rule), lang);
    if !definitions.is_empty() {
        let _ = writeln!(
            out,
            "\n{}{}",
            lang.pick("本评分标准中的定义", "Defined in this rubric"),
            colon(lang)
        );
        out.push_str(&definitions);
    }
    out
}

/// ` — 推诿` after a definition's name, or nothing when the rubric gave it no
/// label (the name twice says nothing).
fn label_of(label: Option<&crate::i18n::Text>, lang: Lang) -> String {
    match label.map(|l| l.get(lang)).filter(|l| !l.is_empty()) {
        Some(l) => format!(" — {l}"),
        None => String::new(),
    }
}

/// A heading's colon: full-width after Chinese.
fn colon(lang: Lang) -> &'static str {
    lang.pick("：", ":")
}

/// `5`, `2.5`: points as a person writes them.
fn format_points(points: f64) -> String {
    if points.fract() == 0.0 {
        format!("{points:.0}")
    } else {
        format!("{points}")
    }
}

/// The named matches, patterns and phrase sets a rule refers to (and those
/// they refer to in turn), each with its label and what it matches, so an
/// analyst can read the whole rule without opening the rubric file.
fn definitions_used(rubric: &CompiledRubric, rule: &toml::Value, lang: Lang) -> String {
    use std::collections::BTreeSet;
    let file = &rubric.source.file;
    let (mut matches, mut names) = (BTreeSet::new(), BTreeSet::new());
    collect_references(rule, &mut matches, &mut names);
    for m in matches.clone() {
        if let Some(spec) = file.matches.get(&m) {
            if let Ok(v) = toml::Value::try_from(spec) {
                collect_references(&v, &mut matches, &mut names);
            }
        }
    }
    // Phrase sets named inside the patterns.
    for name in names.clone() {
        if let Some(p) = file.patterns.get(&name) {
            for alt in &p.alternatives {
                for e in crate::rubric::pattern::parse(alt.get_ref()).unwrap_or_default() {
                    if let crate::rubric::pattern::AtomSpec::Set(set) = e.atom {
                        names.insert(set);
                    }
                }
            }
        }
    }
    let mut out = String::new();
    for m in &matches {
        let Some(spec) = file.matches.get(m) else {
            continue;
        };
        let label = label_of(spec.label.as_ref(), lang);
        let sets: Vec<&str> = spec.any.iter().map(|s| s.get_ref().as_str()).collect();
        let _ = match lang {
            Lang::Zh => writeln!(out, "  匹配 {m}{label}：命中其一即可 {}", sets.join(", ")),
            Lang::En => writeln!(out, "  match {m}{label}: any of {}", sets.join(", ")),
        };
        if !spec.unless.is_empty() {
            let unless: Vec<&str> = spec.unless.iter().map(|s| s.get_ref().as_str()).collect();
            let _ = match lang {
                Lang::Zh => writeln!(out, "      句中出现 {} 时不算", unless.join(", ")),
                Lang::En => writeln!(out, "      unless the sentence has {}", unless.join(", ")),
            };
        }
        if let Some(r) = &spec.regex {
            let _ = match lang {
                Lang::Zh => writeln!(out, "      或符合正则 {}", r.get_ref()),
                Lang::En => writeln!(out, "      or the regex {}", r.get_ref()),
            };
        }
        if let Some(r) = &spec.exclude {
            let _ = match lang {
                Lang::Zh => writeln!(out, "      句子符合 {} 时除外", r.get_ref()),
                Lang::En => writeln!(out, "      except in a sentence matching {}", r.get_ref()),
            };
        }
    }
    for name in &names {
        if let Some(p) = file.patterns.get(name) {
            let label = label_of(p.label.as_ref(), lang);
            let _ = match lang {
                Lang::Zh => writeln!(out, "  句式 {name}{label}："),
                Lang::En => writeln!(out, "  pattern {name}{label}:"),
            };
            for alt in &p.alternatives {
                let _ = writeln!(out, "      {}", alt.get_ref());
            }
        } else if let Some(set) = file.phrases.get(name) {
            let label = label_of(set.label.as_ref(), lang);
            let shown: Vec<&str> = set.phrases.iter().take(12).map(String::as_str).collect();
            let total = set.phrases.len();
            let more = match lang {
                _ if total <= shown.len() => String::new(),
                Lang::Zh => format!(" …（共 {total} 个）"),
                Lang::En => format!(" … ({total} in all)"),
            };
            let _ = match lang {
                Lang::Zh => writeln!(out, "  短语集 {name}{label}：{}{more}", shown.join("、")),
                Lang::En => writeln!(out, "  phrases {name}{label}: {}{more}", shown.join("、")),
            };
        }
    }
    out
}

fn collect_references(
    value: &toml::Value,
    matches: &mut std::collections::BTreeSet<String>,
    names: &mut std::collections::BTreeSet<String>,
) {
    match value {
        toml::Value::Table(t) => {
            for (key, v) in t {
                match (key.as_str(), v) {
                    ("use", toml::Value::String(s)) => {
                        matches.insert(s.clone());
                    }
                    (
                        "any" | "all" | "none" | "of" | "unless" | "backchannel",
                        toml::Value::Array(a),
                    ) if a.iter().all(toml::Value::is_str) => {
                        names.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string)));
                    }
                    _ => collect_references(v, matches, names),
                }
            }
        }
        toml::Value::Array(a) => a.iter().for_each(|v| collect_references(v, matches, names)),
        _ => {}
    }
}

/// [`explain_all_in`] in English (kept while callers pass no language).
pub fn explain_all(rubric: &CompiledRubric) -> String {
    explain_all_in(rubric, Lang::En)
}

/// Every item for a reader of `lang`, separated by a rule line.
pub fn explain_all_in(rubric: &CompiledRubric, lang: Lang) -> String {
    let mut out = String::new();
    for (i, item) in rubric.items.iter().enumerate() {
        if i > 0 {
            out.push_str(&"─".repeat(72));
            out.push('\n');
        }
        out.push_str(&explain_item_in(rubric, &item.def, lang));
    }
    out
}

/// [`trace_matches_in`] in English (kept while callers pass no language).
pub fn trace_matches(
    rubric: &CompiledRubric,
    transcript: &crate::transcript::Transcript,
) -> String {
    trace_matches_in(rubric, transcript, Lang::En)
}

/// Every phrase and regex hit of every utterance, with the jieba tokens:
/// what a rubric author needs to see why a phrase did or did not match.
/// The frame is in `lang`; set names and the text are as in the rubric and
/// the call.
pub fn trace_matches_in(
    rubric: &CompiledRubric,
    transcript: &crate::transcript::Transcript,
    lang: Lang,
) -> String {
    let view = rubric.analyze(transcript);
    let mut out = String::new();
    for (i, u) in view.utterances.iter().enumerate() {
        let when = match (u.start_ms, u.end_ms) {
            (Some(s), Some(e)) => format!("{:.1}-{:.1}s ", s as f64 / 1000.0, e as f64 / 1000.0),
            _ => String::new(),
        };
        let _ = match lang {
            Lang::Zh => writeln!(
                out,
                "[{i}] {when}{}（轮次 {}）：{}",
                match u.role {
                    Role::Agent => "坐席",
                    Role::Customer => "客户",
                    Role::Other => "其他",
                },
                u.turn,
                u.text.normalized
            ),
            Lang::En => writeln!(
                out,
                "[{i}] {when}{} (turn {}): {}",
                u.role.as_str(),
                u.turn,
                u.text.normalized
            ),
        };
        let tokens: Vec<String> = rubric
            .segmenter
            .token_ranges(&u.text.normalized)
            .iter()
            .map(|(a, b)| u.text.normalized.chars().skip(*a).take(b - a).collect())
            .collect();
        let _ = writeln!(
            out,
            "    {}{}",
            lang.pick("分词：", "tokens: "),
            tokens.join("/")
        );
        for h in &u.hits {
            let set = &rubric.sets[h.set as usize];
            let note = match lang {
                _ if !h.homophone => String::new(),
                Lang::Zh if h.phrase != u32::MAX => {
                    format!("（“{}”的同音字）", rubric.phrases[h.phrase as usize])
                }
                Lang::Zh => "（同音匹配）".to_string(),
                Lang::En if h.phrase != u32::MAX => {
                    format!(" (homophone of {})", rubric.phrases[h.phrase as usize])
                }
                Lang::En => " (through a homophone)".to_string(),
            };
            let _ = writeln!(
                out,
                "    {:<22} 「{}」{note}",
                set.name,
                u.text.slice(h.start as usize, h.end as usize),
            );
        }
        for r in (0..u.regex_matched.len()).filter(|&r| rubric.regex_matches(u, r)) {
            let rx = rubric.regex(r);
            for m in rx.find_iter(&u.text.normalized) {
                let src = rx.as_str();
                let short: String = src.chars().take(40).collect();
                let _ = writeln!(
                    out,
                    "    {} /{short}…/ 「{}」",
                    lang.pick("正则", "regex"),
                    m.as_str()
                );
            }
        }
    }
    out
}

/// Every condition operator, one line each: its rubric key and the first
/// sentence of its documentation.
pub fn list_operators() -> String {
    let ops = crate::rubric::operators::OPERATORS;
    let width = ops.iter().map(|o| o.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for op in ops {
        let _ = writeln!(out, "{:<width$}  {}", op.name, op.summary());
    }
    out
}

/// [`explain_operator_in`] in English (kept while callers pass no language).
pub fn explain_operator(name: &str) -> Option<String> {
    explain_operator_in(name, Lang::En)
}

/// An operator's reference documentation (the doc comment of its schema
/// struct, as the JSON schema carries it: English prose, kept as written)
/// and its fields, framed in `lang`; `None` for an unknown name.
pub fn explain_operator_in(name: &str, lang: Lang) -> Option<String> {
    let op = crate::rubric::operators::find(name)?;
    let schema = op.schema();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{name} — {}\n",
        lang.pick("条件运算符", "condition operator")
    );
    let mut in_code = false;
    for line in op.doc().lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            let _ = writeln!(out, "    {line}");
        } else if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {line}");
        }
    }
    // The fields of the operator's table, resolved through a `$ref`.
    let root = schema.as_value();
    let defs = root.get("$defs");
    let body = match root.get("$ref").and_then(|r| r.as_str()) {
        Some(r) => r
            .strip_prefix("#/$defs/")
            .and_then(|n| defs.and_then(|d| d.get(n)))
            .unwrap_or(root),
        None => root,
    };
    if let Some(props) = body.get("properties").and_then(|p| p.as_object()) {
        let required: Vec<&str> = body
            .get("required")
            .and_then(|r| r.as_array())
            .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let _ = writeln!(out, "\n{}", lang.pick("字段：", "Fields:"));
        for (field, spec) in props {
            let mut notes = Vec::new();
            if required.contains(&field.as_str()) {
                notes.push(lang.pick("必填", "required").to_string());
            }
            if let Some(d) = spec.get("default") {
                let shown = d.to_string();
                if shown != "null" && shown != "[]" {
                    notes.push(format!("{} {shown}", lang.pick("默认", "default")));
                }
            }
            let notes = match lang {
                _ if notes.is_empty() => String::new(),
                Lang::Zh => format!("（{}）", notes.join("，")),
                Lang::En => format!(" ({})", notes.join(", ")),
            };
            let desc = spec
                .get("description")
                .and_then(|d| d.as_str())
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let _ = writeln!(out, "  {field}{notes}");
            if !desc.is_empty() {
                let _ = writeln!(out, "      {desc}");
            }
        }
    } else if body.get("type").and_then(|t| t.as_str()) == Some("array") {
        let _ = writeln!(
            out,
            "\n{}",
            lang.pick("取值：一组条件。", "Value: a list of conditions.")
        );
    } else {
        let _ = writeln!(
            out,
            "\n{}",
            lang.pick("取值：一个条件。", "Value: one condition.")
        );
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_listed_and_explained_from_their_doc_comments() {
        let list = list_operators();
        assert_eq!(
            list.lines().count(),
            crate::rubric::operators::OPERATORS.len()
        );
        assert!(list.lines().any(|l| l.starts_with("before ")), "{list}");
        let before = explain_operator("before").unwrap();
        assert!(
            before.contains("Some hit of `first` comes before the `nth` hit of `then`."),
            "{before}"
        );
        assert!(before.contains("nth (default 1)"), "{before}");
        assert!(before.contains("    pass = { before"), "{before}");
        let all = explain_operator("all").unwrap();
        assert!(all.contains("Value: a list of conditions."), "{all}");
        assert!(explain_operator("frobnicate").is_none());
    }
}
