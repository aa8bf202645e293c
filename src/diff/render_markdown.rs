//! `callqa diff --format markdown`: a GitHub pull-request comment
//! (GitHub-flavoured Markdown) in the reader's language: a heading and
//! summary, a table per item, the calls whose pass/fail changes, the score
//! deltas, and the first flips with both sides' reasons and quotes, each in
//! a collapsible `<details>` block.
//!
//! Everything that comes from a file (call ids, quotes, reasons) is escaped:
//! HTML special characters become entities (a quote can never open a tag),
//! Markdown punctuation is backslash-escaped where Markdown is read, and in
//! table cells `|` and line breaks cannot end the cell or the row.

use std::io::{self, Write};

use super::render_text::{distribution_line, outcome_word, rubric_label, signed};
use super::{bucket_label, Diff, Direction, Flip, Side, VERDICTS};
use crate::i18n::Lang;
use crate::report::{seconds_span, speaker_word, verdict_word};
use crate::score::ItemResult;

/// Escapes `text` for HTML (inside `<summary>`, where Markdown is not
/// read): `&`, `<`, `>`, `"`; line breaks become spaces.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes `text` for Markdown inline text, table cells included: HTML
/// as [`html`], Markdown punctuation with a backslash (`|` too, so a cell
/// never ends early), line breaks as spaces.
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in html(text).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' | '(' | ')' | '{' | '}'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Writes the comment; `max_flips` bounds the flips and the changed calls listed.
pub fn write(
    diff: &Diff,
    lang: Lang,
    fail_on: usize,
    max_flips: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let zh = lang == Lang::Zh;
    writeln!(
        out,
        "## {}",
        lang.pick("callqa：评分标准变更影响", "callqa: rubric change impact")
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{} `{}` → `{}`",
        lang.pick("评分标准：", "Rubric:"),
        html(&rubric_label(&diff.old)),
        html(&rubric_label(&diff.new))
    )?;
    writeln!(out)?;
    let flips = diff.flips.len();
    let changes = diff.outcome_changes.len();
    let golden = diff.golden_flips().count();
    let regressed = diff.regressed(fail_on);
    let verdict = match (regressed, zh) {
        (true, true) => "❌ **未通过**",
        (true, false) => "❌ **Fails the gate**",
        (false, true) => "✅ **通过**",
        (false, false) => "✅ **Passes the gate**",
    };
    if zh {
        writeln!(
            out,
            "{verdict}：比较了 **{}** 通电话，**{}** 通电话共 **{flips}** 处判定变化，**{changes}** 通电话的通过/未通过改变（允许 {fail_on} 通），黄金样例上 **{golden}** 处判定变化。",
            diff.calls,
            diff.calls_with_flips()
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "通过的电话：旧标准 {} 通 → 新标准 {} 通。",
            diff.old_passed, diff.new_passed
        )?;
    } else {
        writeln!(
            out,
            "{verdict}: compared **{}** calls; **{flips}** verdict changes in **{}** calls, **{changes}** calls change pass/fail ({fail_on} allowed), **{golden}** verdict changes on golden fixtures.",
            diff.calls,
            diff.calls_with_flips()
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "Calls passing: {} with the old rubric → {} with the new one.",
            diff.old_passed, diff.new_passed
        )?;
    }
    if !diff.errors.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            lang.pick(
                format!("⚠️ {} 个文件无法读取，未计入。", diff.errors.len()),
                format!(
                    "⚠️ {} input files could not be read and are not counted.",
                    diff.errors.len()
                )
            )
        )?;
    }
    writeln!(out)?;

    // Items.
    writeln!(
        out,
        "### {}",
        lang.pick("各项目判定变化", "Verdict changes per item")
    )?;
    writeln!(out)?;
    let mut head = format!(
        "| {} | {} |",
        lang.pick("项目", "Item"),
        lang.pick("变化", "Changes")
    );
    let mut rule = "| --- | ---: |".to_string();
    for d in Direction::ALL {
        head.push_str(&format!(" {} |", d.label(lang)));
        rule.push_str(" ---: |");
    }
    writeln!(out, "{head}")?;
    writeln!(out, "{rule}")?;
    for s in &diff.items {
        let label = inline(&s.label(lang));
        match s.side {
            Side::Both => {
                let mut row = format!("| {label} | {} |", s.flips());
                for d in Direction::ALL {
                    row.push_str(&format!(" {} |", s.count(d)));
                }
                writeln!(out, "{row}")?;
            }
            _ => {
                let (counts, what) = if s.side == Side::NewOnly {
                    (&s.new_verdicts, lang.pick("新增", "added"))
                } else {
                    (&s.old_verdicts, lang.pick("已删除", "removed"))
                };
                let cells: Vec<String> = VERDICTS
                    .iter()
                    .zip(counts)
                    .filter(|(_, &n)| n > 0)
                    .map(|(v, n)| format!("{} {n}", verdict_word(*v, lang)))
                    .collect();
                let mut row = format!(
                    "| {label} | {what}{}{} |",
                    lang.pick("：", ": "),
                    inline(&cells.join(lang.pick("，", ", ")))
                );
                for _ in Direction::ALL {
                    row.push_str(" — |");
                }
                writeln!(out, "{row}")?;
            }
        }
    }
    writeln!(out)?;

    // Pass/fail changes.
    if !diff.outcome_changes.is_empty() {
        writeln!(
            out,
            "### {}",
            lang.pick("通过/未通过改变的电话", "Calls whose pass/fail changes")
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            lang.pick("电话", "Call"),
            lang.pick("坐席", "Agent"),
            lang.pick("分数", "Score"),
            lang.pick("结果", "Outcome")
        )?;
        writeln!(out, "| --- | --- | ---: | --- |")?;
        for c in diff.outcome_changes.iter().take(max_flips) {
            let golden = if c.golden {
                lang.pick("（黄金样例）", " (golden fixture)")
            } else {
                ""
            };
            writeln!(
                out,
                "| {}{golden} | {} | {} → {} | {} → {} |",
                inline(&c.call_id),
                inline(c.agent_id.as_deref().unwrap_or("—")),
                c.old_score,
                c.new_score,
                outcome_word(c.old_passed, lang),
                outcome_word(c.new_passed, lang)
            )?;
        }
        if diff.outcome_changes.len() > max_flips {
            writeln!(out)?;
            writeln!(
                out,
                "{}",
                lang.pick(
                    format!(
                        "（另有 {} 通未列出）",
                        diff.outcome_changes.len() - max_flips
                    ),
                    format!(
                        "({} more not listed)",
                        diff.outcome_changes.len() - max_flips
                    )
                )
            )?;
        }
        writeln!(out)?;
    }

    // Scores.
    writeln!(
        out,
        "### {}",
        lang.pick("分数变化（新 − 旧）", "Score change (new − old)")
    )?;
    writeln!(out)?;
    writeln!(out, "{}", inline(&distribution_line(&diff.deltas(), lang)))?;
    writeln!(out)?;
    writeln!(
        out,
        "| {} | {} |",
        lang.pick("分差", "Delta"),
        lang.pick("电话数", "Calls")
    )?;
    writeln!(out, "| --- | ---: |")?;
    for (i, n) in diff.histogram().iter().enumerate() {
        if *n > 0 {
            writeln!(out, "| {} | {n} |", inline(&bucket_label(i)))?;
        }
    }
    writeln!(out)?;
    let moved: Vec<_> = diff
        .agents
        .iter()
        .filter(|(_, a)| a.flips > 0 || a.outcome_changes > 0)
        .collect();
    if !moved.is_empty() {
        writeln!(out, "<details>")?;
        writeln!(
            out,
            "<summary>{}</summary>",
            html(&lang.pick(
                format!("各坐席（{} 位坐席有变化）", moved.len()),
                format!("Per agent ({} agents affected)", moved.len())
            ))
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "| {} |",
            lang.pick(
                "坐席 | 通话 | 旧通过 | 新通过 | 结果改变 | 判定变化 | 平均分差",
                "Agent | Calls | Passed (old) | Passed (new) | Pass/fail changed | Verdict changes | Mean delta"
            )
        )?;
        writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")?;
        for (id, a) in moved {
            let name = if id.is_empty() {
                lang.pick("（未标注）", "(none)").to_string()
            } else {
                inline(id)
            };
            writeln!(
                out,
                "| {name} | {} | {} | {} | {} | {} | {} |",
                a.calls,
                a.old_passed,
                a.new_passed,
                a.outcome_changes,
                a.flips,
                signed(a.deltas().mean)
            )?;
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
        writeln!(out)?;
    }

    // Flips.
    if flips > 0 {
        let shown: Vec<&Flip> = diff
            .golden_flips()
            .chain(diff.flips.iter().filter(|f| !f.golden))
            .take(max_flips)
            .collect();
        writeln!(
            out,
            "### {}",
            match lang {
                Lang::Zh if shown.len() < flips =>
                    format!("判定变化明细（前 {} 处，共 {flips} 处）", shown.len()),
                Lang::Zh => "判定变化明细".to_string(),
                Lang::En if shown.len() < flips =>
                    format!("Verdict changes (first {} of {flips})", shown.len()),
                Lang::En => "Verdict changes".to_string(),
            }
        )?;
        writeln!(out)?;
        for f in shown {
            let title = diff
                .item(&f.item)
                .map(|s| s.label(lang))
                .unwrap_or_else(|| f.item.clone());
            let golden = match (f.golden, f.expected) {
                (true, Some(e)) => lang.pick(
                    format!(" ⚠️ 黄金样例，应为{}", verdict_word(e, lang)),
                    format!(" ⚠️ golden fixture, expected {}", verdict_word(e, lang)),
                ),
                (true, None) => lang.pick(" ⚠️ 黄金样例", " ⚠️ golden fixture").to_string(),
                _ => String::new(),
            };
            writeln!(out, "<details>")?;
            writeln!(
                out,
                "<summary>{}</summary>",
                html(&format!(
                    "{} · {}{}{} → {}{golden}",
                    f.call_id,
                    title,
                    lang.pick("：", ": "),
                    verdict_word(f.old.verdict, lang),
                    verdict_word(f.new.verdict, lang)
                ))
            )?;
            writeln!(out)?;
            side(out, lang.pick("旧标准", "Old rubric"), &f.old, lang)?;
            side(out, lang.pick("新标准", "New rubric"), &f.new, lang)?;
            writeln!(out, "</details>")?;
            writeln!(out)?;
        }
    }
    Ok(())
}

fn side(out: &mut dyn Write, which: &str, item: &ItemResult, lang: Lang) -> io::Result<()> {
    let sep = lang.pick("：", ": ");
    writeln!(
        out,
        "**{which}**{sep}{}{sep}{}",
        verdict_word(item.verdict, lang),
        inline(item.reason_in(lang))
    )?;
    writeln!(out)?;
    for e in &item.evidence {
        let when = seconds_span(e, lang);
        let when = if when.is_empty() {
            String::new()
        } else {
            format!("`{when}` ")
        };
        let speaker = speaker_word(&e.speaker, lang);
        let matched = if e.matched.is_empty() {
            String::new()
        } else {
            let mut phrases: Vec<String> = Vec::new();
            for p in &e.matched {
                let p = format!("**{}**", inline(p));
                // The same words matched twice are one phrase to a reader.
                if !phrases.contains(&p) {
                    phrases.push(p);
                }
            }
            lang.pick(
                format!("（命中：{}）", phrases.join("、")),
                format!(" (matched: {})", phrases.join(", ")),
            )
        };
        writeln!(
            out,
            "- {when}{}{sep}{}{matched}",
            inline(&speaker),
            inline(&e.text)
        )?;
    }
    writeln!(out)?;
    Ok(())
}
