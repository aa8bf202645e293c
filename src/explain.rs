//! `callqa explain`: an item's documentation and its rule, both read from the
//! rubric file itself, so the explanation can never drift from what runs.

use std::fmt::Write as _;

use crate::rubric::schema::ItemDef;
use crate::rubric::CompiledRubric;

/// Renders one item: what, why, example, source, scoring and the rule as TOML.
pub fn explain_item(rubric: &CompiledRubric, def: &ItemDef) -> String {
    let mut out = String::new();
    let title = if def.title.is_empty() { String::new() } else { format!(" — {}", def.title) };
    let _ = writeln!(out, "{}{title}  [{}]", def.id, def.section);
    let scoring = if def.critical {
        "critical: a failure fails the whole call and sets its score to 0".to_string()
    } else if def.flag {
        "flag: no points; answers `review` when the condition holds".to_string()
    } else {
        format!("{} points", def.points)
    };
    let _ = writeln!(out, "rubric {} {}  ·  {scoring}", rubric.id(), rubric.source.file.rubric.version);
    for (heading, body) in [("What", &def.what), ("Why", &def.why), ("Example", &def.example), ("Source", &def.source)] {
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
        rule.insert("applies".into(), toml::Value::try_from(c).expect("conditions serialise"));
    }
    if let Some(c) = &def.pass {
        rule.insert("pass".into(), toml::Value::try_from(c).expect("conditions serialise"));
    }
    if let Some(c) = &def.fail {
        rule.insert("fail".into(), toml::Value::try_from(c).expect("conditions serialise"));
    }
    let rendered = toml::to_string_pretty(&rule).unwrap_or_default();
    for line in rendered.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out
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
