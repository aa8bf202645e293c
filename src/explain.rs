//! `callqa explain`: an item's documentation and its rule, both read from the
//! rubric file itself, so the explanation can never drift from what runs.

use std::fmt::Write as _;

use crate::rubric::schema::ItemDef;
use crate::rubric::CompiledRubric;

/// Renders one item: what, why, example, source, scoring and the rule as TOML.
pub fn explain_item(rubric: &CompiledRubric, def: &ItemDef) -> String {
    let mut out = String::new();
    let title = if def.title.is_empty() {
        String::new()
    } else {
        format!(" — {}", def.title)
    };
    let _ = writeln!(out, "{}{title}  [{}]", def.id, def.section);
    let scoring = if def.critical {
        "critical: a failure fails the whole call and sets its score to 0".to_string()
    } else if def.flag {
        "flag: no points; answers `review` when the condition holds".to_string()
    } else {
        format!("{} points", def.points)
    };
    let _ = writeln!(
        out,
        "rubric {} {}  ·  {scoring}",
        rubric.id(),
        rubric.source.file.rubric.version
    );
    for (heading, body) in [
        ("What", &def.what),
        ("Why", &def.why),
        ("Example", &def.example),
        ("Source", &def.source),
    ] {
        if body.trim().is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{heading}:");
        for line in body.trim().lines() {
            let _ = writeln!(out, "  {}", line.trim_end());
        }
    }
    let _ = writeln!(out, "\nRule:");
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
    let definitions = definitions_used(rubric, &toml::Value::Table(rule));
    if !definitions.is_empty() {
        let _ = writeln!(out, "\nDefined in this rubric:");
        out.push_str(&definitions);
    }
    out
}

/// The named matches, patterns and phrase sets a rule refers to (and those
/// they refer to in turn), each with its label and what it matches, so an
/// analyst can read the whole rule without opening the rubric file.
fn definitions_used(rubric: &CompiledRubric, rule: &toml::Value) -> String {
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
        let Some(spec) = file.matches.get(m) else { continue };
        let label = spec.label.as_deref().unwrap_or(m);
        let sets: Vec<&str> = spec.any.iter().map(|s| s.get_ref().as_str()).collect();
        let _ = writeln!(out, "  match {m} — {label}: any of {}", sets.join(", "));
        if !spec.unless.is_empty() {
            let unless: Vec<&str> = spec.unless.iter().map(|s| s.get_ref().as_str()).collect();
            let _ = writeln!(out, "      unless the sentence has {}", unless.join(", "));
        }
        if let Some(r) = &spec.regex {
            let _ = writeln!(out, "      or the regex {}", r.get_ref());
        }
        if let Some(r) = &spec.exclude {
            let _ = writeln!(out, "      except in a sentence matching {}", r.get_ref());
        }
    }
    for name in &names {
        if let Some(p) = file.patterns.get(name) {
            let label = p.label.as_deref().unwrap_or(name);
            let _ = writeln!(out, "  pattern {name} — {label}:");
            for alt in &p.alternatives {
                let _ = writeln!(out, "      {}", alt.get_ref());
            }
        } else if let Some(set) = file.phrases.get(name) {
            let label = set.label.as_deref().unwrap_or(name);
            let shown: Vec<&str> = set.phrases.iter().take(12).map(String::as_str).collect();
            let more = if set.phrases.len() > shown.len() {
                format!(" … ({} in all)", set.phrases.len())
            } else {
                String::new()
            };
            let _ = writeln!(out, "  phrases {name} — {label}: {}{more}", shown.join("、"));
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
                    ("any" | "all" | "none" | "of" | "unless" | "backchannel", toml::Value::Array(a))
                        if a.iter().all(toml::Value::is_str) =>
                    {
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

/// Every item, separated by a rule line.
pub fn explain_all(rubric: &CompiledRubric) -> String {
    let mut out = String::new();
    for (i, item) in rubric.items.iter().enumerate() {
        if i > 0 {
            out.push_str(&"─".repeat(72));
            out.push('\n');
        }
        out.push_str(&explain_item(rubric, &item.def));
    }
    out
}

/// Every phrase and regex hit of every utterance, with the jieba tokens:
/// what a rubric author needs to see why a phrase did or did not match.
pub fn trace_matches(
    rubric: &CompiledRubric,
    transcript: &crate::transcript::Transcript,
) -> String {
    let view = rubric.analyze(transcript);
    let mut out = String::new();
    for (i, u) in view.utterances.iter().enumerate() {
        let when = match (u.start_ms, u.end_ms) {
            (Some(s), Some(e)) => format!("{:.1}-{:.1}s ", s as f64 / 1000.0, e as f64 / 1000.0),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "[{i}] {when}{} (turn {}): {}",
            u.role.as_str(),
            u.turn,
            u.text.normalized
        );
        let tokens: Vec<String> = rubric
            .segmenter
            .token_ranges(&u.text.normalized)
            .iter()
            .map(|(a, b)| u.text.normalized.chars().skip(*a).take(b - a).collect())
            .collect();
        let _ = writeln!(out, "    tokens: {}", tokens.join("/"));
        for h in &u.hits {
            let set = &rubric.sets[h.set as usize];
            let _ = writeln!(
                out,
                "    {:<22} 「{}」{}",
                set.name,
                u.text.slice(h.start as usize, h.end as usize),
                if h.homophone && h.phrase != u32::MAX {
                    format!(" (homophone of {})", rubric.phrases[h.phrase as usize])
                } else if h.homophone {
                    " (through a homophone)".to_string()
                } else {
                    String::new()
                }
            );
        }
        for r in (0..u.regex_matched.len()).filter(|&r| rubric.regex_matches(u, r)) {
            let rx = rubric.regex(r);
            for m in rx.find_iter(&u.text.normalized) {
                let src = rx.as_str();
                let short: String = src.chars().take(40).collect();
                let _ = writeln!(out, "    regex /{short}…/ 「{}」", m.as_str());
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

/// An operator's reference documentation (the doc comment of its schema
/// struct, as the JSON schema carries it) and its fields; `None` for an
/// unknown name.
pub fn explain_operator(name: &str) -> Option<String> {
    let op = crate::rubric::operators::find(name)?;
    let schema = op.schema();
    let mut out = String::new();
    let _ = writeln!(out, "{name} — condition operator\n");
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
        let _ = writeln!(out, "\nFields:");
        for (field, spec) in props {
            let mut notes = Vec::new();
            if required.contains(&field.as_str()) {
                notes.push("required".to_string());
            }
            if let Some(d) = spec.get("default") {
                let shown = d.to_string();
                if shown != "null" && shown != "[]" {
                    notes.push(format!("default {shown}"));
                }
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join(", "))
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
        let _ = writeln!(out, "\nValue: a list of conditions.");
    } else {
        let _ = writeln!(out, "\nValue: one condition.");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_listed_and_explained_from_their_doc_comments() {
        let list = list_operators();
        assert_eq!(list.lines().count(), crate::rubric::operators::OPERATORS.len());
        assert!(list.lines().any(|l| l.starts_with("before ")), "{list}");
        let before = explain_operator("before").unwrap();
        assert!(before.contains("Some hit of `first` comes before the `nth` hit of `then`."), "{before}");
        assert!(before.contains("nth (default 1)"), "{before}");
        assert!(before.contains("    pass = { before"), "{before}");
        let all = explain_operator("all").unwrap();
        assert!(all.contains("Value: a list of conditions."), "{all}");
        assert!(explain_operator("frobnicate").is_none());
    }
}
