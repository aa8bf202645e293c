//! `callqa diff --format text`: the report for a person at a terminal, in
//! the reader's language (item titles from the rubric, reasons and
//! evidence as `callqa score` prints them). Every value that came from a
//! file goes through [`crate::report::visible`].

use std::io::{self, Write};

use super::{bucket_label, Diff, Direction, Distribution, Flip, Side, VERDICTS};
use crate::i18n::Lang;
use crate::report::{evidence_line, pad, verdict_word, visible};
use crate::score::ItemResult;

/// `cs-standard 1.0（sha256 1a2b3c4d5e6f）`
pub(crate) fn rubric_label(info: &super::RubricInfo) -> String {
    let version = if info.version.is_empty() {
        String::new()
    } else {
        format!(" {}", info.version)
    };
    format!(
        "{}{} (sha256 {})",
        info.id,
        version,
        &info.sha256[..12.min(info.sha256.len())]
    )
}

/// A score delta with its sign: `+2.5`, `-10`, `0`.
pub(crate) fn signed(x: f64) -> String {
    let x = (x * 10.0).round() / 10.0;
    if x > 0.0 {
        format!("+{x}")
    } else if x == 0.0 {
        "0".into()
    } else {
        format!("{x}")
    }
}

/// `通过` / `PASS` for a call's outcome.
pub(crate) fn outcome_word(passed: bool, lang: Lang) -> &'static str {
    verdict_word(
        if passed {
            crate::score::Verdict::Pass
        } else {
            crate::score::Verdict::Fail
        },
        lang,
    )
}

pub(crate) fn distribution_line(d: &Distribution, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "平均 {}，中位数 {}，最小 {}，最大 {}，5% 分位 {}，95% 分位 {}（{} 通中 {} 通分数有变化）",
            signed(d.mean),
            signed(d.median),
            signed(d.min),
            signed(d.max),
            signed(d.p5),
            signed(d.p95),
            d.calls,
            d.changed
        ),
        Lang::En => format!(
            "mean {}, median {}, min {}, max {}, 5th percentile {}, 95th percentile {} ({} of {} calls changed score)",
            signed(d.mean),
            signed(d.median),
            signed(d.min),
            signed(d.max),
            signed(d.p5),
            signed(d.p95),
            d.changed,
            d.calls
        ),
    }
}

/// Writes the report; `max_flips` bounds the detailed flips listed.
pub fn write(diff: &Diff, lang: Lang, max_flips: usize, out: &mut dyn Write) -> io::Result<()> {
    let zh = lang == Lang::Zh;
    writeln!(
        out,
        "{}{} → {}",
        lang.pick("评分标准变更影响：", "Rubric change impact: "),
        visible(&rubric_label(&diff.old)),
        visible(&rubric_label(&diff.new))
    )?;
    let flips = diff.flips.len();
    let with_flips = diff.calls_with_flips();
    let changes = diff.outcome_changes.len();
    if zh {
        writeln!(
            out,
            "比较了 {} 通电话（出错 {} 通）：{} 通电话共 {} 处判定变化，{} 通电话的通过/未通过改变。",
            diff.calls,
            diff.errors.len(),
            with_flips,
            flips,
            changes
        )?;
        writeln!(
            out,
            "通过的电话：旧标准 {} 通，新标准 {} 通。",
            diff.old_passed, diff.new_passed
        )?;
    } else {
        writeln!(
            out,
            "Compared {} (errors: {}): {} verdict {} in {}, {} changing pass/fail.",
            count(diff.calls, "call", "calls"),
            diff.errors.len(),
            flips,
            if flips == 1 { "change" } else { "changes" },
            count(with_flips, "call", "calls"),
            count(changes, "call", "calls")
        )?;
        writeln!(
            out,
            "Calls passing: {} with the old rubric, {} with the new one.",
            diff.old_passed, diff.new_passed
        )?;
    }
    let golden: Vec<&Flip> = diff.golden_flips().collect();
    if !golden.is_empty() {
        writeln!(
            out,
            "{}",
            lang.pick(
                format!("回归：黄金样例上有 {} 处判定变化（见下）。", golden.len()),
                format!(
                    "Regression: {} on golden fixtures (listed below).",
                    count(golden.len(), "verdict change", "verdict changes")
                )
            )
        )?;
    }
    writeln!(out)?;

    // Per item.
    writeln!(
        out,
        "{}",
        lang.pick("各项目判定变化：", "Verdict changes per item:")
    )?;
    let labels: Vec<String> = diff
        .items
        .iter()
        .map(|s| visible(&s.label(lang)).into_owned())
        .collect();
    let width = labels
        .iter()
        .map(|l| crate::report::display_width(l))
        .max()
        .unwrap_or(0)
        .max(crate::report::display_width(lang.pick("项目", "Item")));
    let mut head = format!(
        "  {}  {:>6}",
        pad(lang.pick("项目", "Item"), width),
        lang.pick("变化", "flips")
    );
    for d in Direction::ALL {
        head.push_str(&format!("  {}", d.label(lang)));
    }
    writeln!(out, "{}", head.trim_end())?;
    for (s, label) in diff.items.iter().zip(&labels) {
        match s.side {
            Side::Both => {
                let mut line = format!("  {}  {:>6}", pad(label, width), s.flips());
                for d in Direction::ALL {
                    let w = crate::report::display_width(d.label(lang));
                    line.push_str(&format!("  {:>w$}", s.count(d), w = w));
                }
                writeln!(out, "{line}")?;
            }
            Side::NewOnly | Side::OldOnly => {
                let (verdicts, what) = if s.side == Side::NewOnly {
                    (&s.new_verdicts, lang.pick("仅新标准有", "new item"))
                } else {
                    (&s.old_verdicts, lang.pick("仅旧标准有", "removed item"))
                };
                let counts: Vec<String> = VERDICTS
                    .iter()
                    .zip(verdicts)
                    .filter(|(_, &n)| n > 0)
                    .map(|(v, n)| format!("{} {n}", verdict_word(*v, lang)))
                    .collect();
                writeln!(
                    out,
                    "  {}  {}{}{}",
                    pad(label, width),
                    what,
                    lang.pick("：", ": "),
                    counts.join(lang.pick("，", ", "))
                )?;
            }
        }
    }
    writeln!(out)?;

    // Score deltas.
    let d = diff.deltas();
    writeln!(
        out,
        "{}{}",
        lang.pick("分数变化（新 − 旧）：", "Score change (new − old): "),
        distribution_line(&d, lang)
    )?;
    let histogram = diff.histogram();
    let cells: Vec<String> = histogram
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(i, n)| format!("{} {n}", bucket_label(i)))
        .collect();
    writeln!(
        out,
        "  {}{}",
        lang.pick(
            "分布（分差区间 通数）：",
            "Distribution (delta range: calls): "
        ),
        cells.join(lang.pick("；", "; "))
    )?;
    writeln!(out)?;

    // Per agent.
    writeln!(out, "{}", lang.pick("各坐席：", "Per agent:"))?;
    let agent_name = |id: &str| -> String {
        if id.is_empty() {
            lang.pick("（未标注坐席）", "(no agent id)").to_string()
        } else {
            visible(id).into_owned()
        }
    };
    let aw = diff
        .agents
        .keys()
        .map(|a| crate::report::display_width(&agent_name(a)))
        .max()
        .unwrap_or(0)
        .max(crate::report::display_width(lang.pick("坐席", "Agent")));
    writeln!(
        out,
        "  {}  {}",
        pad(lang.pick("坐席", "Agent"), aw),
        lang.pick(
            "通话  旧通过  新通过  结果改变  判定变化  平均分差",
            "calls  passed (old)  passed (new)  pass/fail changed  verdict changes  mean delta"
        )
    )?;
    let mut unchanged = 0;
    for (id, a) in &diff.agents {
        if a.flips == 0 && a.outcome_changes == 0 {
            unchanged += 1;
            continue;
        }
        let d = a.deltas();
        let cols: [(usize, String); 6] = if zh {
            [
                (4, a.calls.to_string()),
                (6, a.old_passed.to_string()),
                (6, a.new_passed.to_string()),
                (8, a.outcome_changes.to_string()),
                (8, a.flips.to_string()),
                (8, signed(d.mean)),
            ]
        } else {
            [
                (5, a.calls.to_string()),
                (12, a.old_passed.to_string()),
                (12, a.new_passed.to_string()),
                (17, a.outcome_changes.to_string()),
                (15, a.flips.to_string()),
                (10, signed(d.mean)),
            ]
        };
        let mut line = format!("  {}", pad(&agent_name(id), aw));
        for (w, c) in cols {
            line.push_str(&format!("  {c:>w$}"));
        }
        writeln!(out, "{line}")?;
    }
    if unchanged > 0 {
        writeln!(
            out,
            "  {}",
            lang.pick(
                format!("（另有 {unchanged} 位坐席的判定与结果都没有变化）"),
                format!(
                    "({} with no verdict or pass/fail change not listed)",
                    count(unchanged, "other agent", "other agents")
                )
            )
        )?;
    }
    writeln!(out)?;

    // Calls changing pass/fail.
    if !diff.outcome_changes.is_empty() {
        writeln!(
            out,
            "{}",
            lang.pick("通过/未通过改变的电话：", "Calls whose pass/fail changes:")
        )?;
        for c in &diff.outcome_changes {
            let agent = c
                .agent_id
                .as_deref()
                .map(|a| format!("  {}{}", lang.pick("坐席 ", "agent "), visible(a)))
                .unwrap_or_default();
            let golden = if c.golden {
                lang.pick("  [黄金样例]", "  [golden fixture]")
            } else {
                ""
            };
            writeln!(
                out,
                "  {}{agent}  {} → {}  {} → {}{golden}",
                visible(&c.call_id),
                c.old_score,
                c.new_score,
                outcome_word(c.old_passed, lang),
                outcome_word(c.new_passed, lang)
            )?;
        }
        writeln!(out)?;
    }

    // Flips in detail: golden ones first (they gate), then the rest.
    if !diff.flips.is_empty() {
        let shown: Vec<&Flip> = golden
            .iter()
            .copied()
            .chain(diff.flips.iter().filter(|f| !f.golden))
            .take(max_flips)
            .collect();
        writeln!(
            out,
            "{}",
            match lang {
                Lang::Zh if shown.len() < flips => format!(
                    "判定变化明细（共 {flips} 处，列出前 {} 处；--max-flips 可调整）：",
                    shown.len()
                ),
                Lang::Zh => "判定变化明细：".to_string(),
                Lang::En if shown.len() < flips => format!(
                    "Verdict changes in detail (first {} of {flips}; see --max-flips):",
                    shown.len()
                ),
                Lang::En => "Verdict changes in detail:".to_string(),
            }
        )?;
        for f in shown {
            let title = diff
                .item(&f.item)
                .map(|s| s.label(lang))
                .unwrap_or_else(|| f.item.clone());
            let expected = match (f.golden, f.expected) {
                (true, Some(e)) => lang.pick(
                    format!("  [黄金样例，应为{}]", verdict_word(e, lang)),
                    format!("  [golden fixture, expected {}]", verdict_word(e, lang)),
                ),
                (true, None) => lang.pick("  [黄金样例]", "  [golden fixture]").to_string(),
                _ => String::new(),
            };
            writeln!(
                out,
                "  {} · {}：{} → {}{expected}",
                visible(&f.call_id),
                visible(&title),
                verdict_word(f.old.verdict, lang),
                verdict_word(f.new.verdict, lang)
            )?;
            side(out, lang.pick("旧", "old"), &f.old, lang)?;
            side(out, lang.pick("新", "new"), &f.new, lang)?;
        }
    }

    if !diff.errors.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            lang.pick(
                format!("{} 个文件无法读取（已跳过）：", diff.errors.len()),
                format!(
                    "{} could not be read (skipped):",
                    count(diff.errors.len(), "file", "files")
                )
            )
        )?;
        for e in &diff.errors {
            writeln!(out, "  {}", visible(&e.message))?;
        }
    }
    Ok(())
}

fn side(out: &mut dyn Write, which: &str, item: &ItemResult, lang: Lang) -> io::Result<()> {
    let sep = lang.pick("：", ": ");
    writeln!(
        out,
        "    {which}{sep}{}{sep}{}",
        verdict_word(item.verdict, lang),
        visible(item.reason_in(lang))
    )?;
    for e in &item.evidence {
        writeln!(out, "      {}", evidence_line(e, lang))?;
    }
    Ok(())
}

fn count(n: usize, one: &str, many: &str) -> String {
    crate::batch::count_en(n, one, many)
}
