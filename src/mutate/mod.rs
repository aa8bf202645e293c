//! Mutation testing of a rubric: how brittle each item is. Golden calls are
//! perturbed in ways that must not change their verdicts (ASR misspellings,
//! punctuation, fillers, Traditional characters, numerals, time shift,
//! split and merged utterances) and in ways that must (the evidence given to
//! the other speaker, negated, or removed); per item, the share of
//! must-keep mutations that kept its verdict and of must-change mutations
//! that changed it, and every case that did not, with the text before and
//! after. The mutations themselves are [`ops`], one file each.
//!
//! The baseline is the verdicts the rubric gives the unmutated call, not a
//! fixture's `expect`: robustness is whether the rubric keeps *its own*
//! judgement when nothing that matters changed, and drops it when what it
//! rested on is gone; whether that judgement is right is `callqa check`'s
//! question. So any transcript can be mutated, with or without `expect`.
//!
//! Which items a must-change mutation applies to: an item whose verdict is
//! the one its rule gives when the rule's condition was *found* — a pass of
//! a `pass = …` rule, a fail (or a flag's review) of a `fail = …` rule —
//! and whose scorecard quotes the words it found. A verdict that rests on
//! something missing (a greeting that lacks its offer to help, N/A because
//! nothing was promised) has no evidence to take away, and timing findings
//! (interruptions, silences) quote no words; those are skipped. The
//! expectation is that the verdict *changes* (to anything: pass → fail, or
//! pass → N/A when the offer that made the item apply is gone). When the
//! rescored call still gives the old verdict on other words (the agent
//! thanked twice), the mutation is applied again to the new evidence, up to
//! [`MAX_ROUNDS`] times; only a verdict that survives with no new evidence,
//! or all rounds, counts as not changed.
//!
//! Deterministic: every random draw comes from a stream seeded by the seed,
//! the mutation and the call ([`ops::Settings::rng`]); calls are mutated in
//! parallel and reported in input order.

pub mod ops;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{json, Value};

pub use ops::{Apply, Cited, Kind, Mutation, Settings, Variant, REGISTRY};

use crate::evidence::Evidence;
use crate::i18n::Lang;
use crate::report::{pad, verdict_word, visible, ItemTitles};
use crate::rubric::compile::Rule;
use crate::rubric::CompiledRubric;
use crate::score::{Scorecard, Verdict};
use crate::transcript::Transcript;

/// How often a must-change mutation is applied again to new evidence.
pub const MAX_ROUNDS: usize = 3;

/// One mutation's result for one item of one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub mutation: &'static Mutation,
    pub variant: crate::i18n::Text,
    pub item: String,
    pub old: Verdict,
    pub new: Verdict,
    /// Whether the verdict did what the mutation's kind expects (kept for
    /// must-keep, changed for must-change).
    pub held: bool,
    /// For a case that did not hold: the utterance(s) it shows, before and
    /// after (texts joined with ` ｜ ` when one became several or several
    /// one; `mutated` empty when the mutation removed it).
    pub original: String,
    pub mutated: String,
    pub speaker: String,
}

/// What mutating one call gave.
#[derive(Debug, Clone)]
pub struct CallResult {
    pub file: PathBuf,
    pub call_id: String,
    /// The call could not be used (unreadable, no speech by one side).
    pub error: Option<String>,
    pub outcomes: Vec<Outcome>,
}

/// Per item: how robust it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Robustness {
    pub keep_held: usize,
    pub keep_total: usize,
    pub change_held: usize,
    pub change_total: usize,
}

impl Robustness {
    /// Share of must-keep mutations that kept the verdict (`None`: none ran).
    pub fn keep(&self) -> Option<f64> {
        share(self.keep_held, self.keep_total)
    }

    /// Share of must-change mutations that changed the verdict.
    pub fn change(&self) -> Option<f64> {
        share(self.change_held, self.change_total)
    }
}

fn share(a: usize, n: usize) -> Option<f64> {
    (n > 0).then(|| a as f64 / n as f64)
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct Report {
    pub rubric: String,
    pub settings: Settings,
    pub mutations: Vec<&'static Mutation>,
    pub titles: ItemTitles,
    /// The rubric's item ids, in rubric order.
    pub items: Vec<String>,
    pub calls: Vec<CallResult>,
}

impl Report {
    /// Robustness per item, in rubric order.
    pub fn per_item(&self) -> Vec<(String, Robustness)> {
        let mut map: BTreeMap<&str, Robustness> = BTreeMap::new();
        for o in self.calls.iter().flat_map(|c| &c.outcomes) {
            let r = map.entry(&o.item).or_default();
            match o.mutation.kind() {
                Kind::Keep => {
                    r.keep_total += 1;
                    r.keep_held += usize::from(o.held);
                }
                Kind::Change => {
                    r.change_total += 1;
                    r.change_held += usize::from(o.held);
                }
            }
        }
        self.items
            .iter()
            .map(|id| {
                (
                    id.clone(),
                    map.get(id.as_str()).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }

    /// Per mutation and variant (English label): (held, total), in registry order.
    pub fn per_mutation(&self) -> Vec<(&'static Mutation, crate::i18n::Text, usize, usize)> {
        let mut rows: Vec<(&'static Mutation, crate::i18n::Text, usize, usize)> = Vec::new();
        for o in self.calls.iter().flat_map(|c| &c.outcomes) {
            // Time shifts differ per call; they are one row.
            let variant = if o.mutation.id == "time_shift" {
                crate::i18n::Text::default()
            } else {
                o.variant.clone()
            };
            match rows
                .iter_mut()
                .find(|r| std::ptr::eq(r.0, o.mutation) && r.1 == variant)
            {
                Some(r) => {
                    r.2 += usize::from(o.held);
                    r.3 += 1;
                }
                None => rows.push((o.mutation, variant, usize::from(o.held), 1)),
            }
        }
        let order = |m: &Mutation| REGISTRY.iter().position(|r| r.id == m.id);
        rows.sort_by_key(|r| order(r.0));
        rows
    }

    /// Every outcome that did not hold, in call order.
    pub fn cases(&self) -> impl Iterator<Item = (&CallResult, &Outcome)> {
        self.calls
            .iter()
            .flat_map(|c| c.outcomes.iter().filter(|o| !o.held).map(move |o| (c, o)))
    }

    pub fn errors(&self) -> usize {
        self.calls.iter().filter(|c| c.error.is_some()).count()
    }

    /// Items below a floor: (item, which, measured share).
    pub fn below(
        &self,
        min_keep: Option<f64>,
        min_change: Option<f64>,
    ) -> Vec<(String, Kind, f64)> {
        let mut out = Vec::new();
        for (id, r) in self.per_item() {
            if let (Some(floor), Some(k)) = (min_keep, r.keep()) {
                if k < floor {
                    out.push((id.clone(), Kind::Keep, k));
                }
            }
            if let (Some(floor), Some(c)) = (min_change, r.change()) {
                if c < floor {
                    out.push((id.clone(), Kind::Change, c));
                }
            }
        }
        out
    }
}

/// Mutates every transcript file with every mutation in `mutations`.
pub fn run(
    rubric: &CompiledRubric,
    files: &[PathBuf],
    settings: &Settings,
    mutations: &[&'static Mutation],
) -> Report {
    let calls = files
        .par_iter()
        .map(|f| mutate_file(rubric, f, settings, mutations))
        .collect();
    Report {
        rubric: rubric.source.file.rubric.id.clone(),
        settings: settings.clone(),
        mutations: mutations.to_vec(),
        titles: ItemTitles::of(rubric),
        items: rubric.items.iter().map(|i| i.def.id.clone()).collect(),
        calls,
    }
}

fn mutate_file(
    rubric: &CompiledRubric,
    file: &Path,
    settings: &Settings,
    mutations: &[&'static Mutation],
) -> CallResult {
    let mut result = CallResult {
        file: file.to_path_buf(),
        call_id: String::new(),
        error: None,
        outcomes: Vec::new(),
    };
    let transcript = match Transcript::from_path(file) {
        Ok(t) => t,
        Err(e) => {
            result.error = Some(crate::walk::read_problem(file).unwrap_or_else(|| e.to_string()));
            return result;
        }
    };
    result.call_id = transcript.call_id.clone();
    if let Err(no_speech) = crate::score::check_usable_speech(&transcript) {
        result.error = Some(no_speech.in_transcript(file));
        return result;
    }
    result.outcomes = mutate_call(rubric, &transcript, settings, mutations);
    result
}

/// Every outcome of `mutations` on one call.
pub fn mutate_call(
    rubric: &CompiledRubric,
    call: &Transcript,
    settings: &Settings,
    mutations: &[&'static Mutation],
) -> Vec<Outcome> {
    let base = rubric.score(call);
    let mut out = Vec::new();
    for &m in mutations {
        match m.apply {
            Apply::Keep(f) => {
                for v in f(call, settings) {
                    let card = rubric.score(&v.transcript);
                    for (item, new) in base.items.iter().zip(&card.items) {
                        let held = item.verdict == new.verdict;
                        let mut o = outcome(m, &v, &item.id, item.verdict, new.verdict, held);
                        if !held {
                            show(&mut o, call, &v, &item.evidence, &new.evidence);
                        }
                        out.push(o);
                    }
                }
            }
            Apply::Change(f) => {
                for (k, item) in base.items.iter().enumerate() {
                    if !found(rubric, k, item.verdict) {
                        continue;
                    }
                    let cited = cite(call, &item.evidence);
                    if cited.is_empty() {
                        continue;
                    }
                    if let Some(o) = change(rubric, call, settings, m, f, k, cited, &base) {
                        out.push(o);
                    }
                }
            }
        }
    }
    out
}

/// The verdict the item's rule gives when its condition was found.
fn found(rubric: &CompiledRubric, k: usize, verdict: Verdict) -> bool {
    let item = &rubric.items[k];
    match item.rule {
        Rule::PassWhen(_) => verdict == Verdict::Pass,
        Rule::FailWhen(_) => {
            verdict == Verdict::Fail || (item.def.flag && verdict == Verdict::Review)
        }
    }
}

type ChangeFn = fn(&Transcript, &[Cited], &Settings) -> Option<Variant>;

#[allow(clippy::too_many_arguments)]
fn change(
    rubric: &CompiledRubric,
    call: &Transcript,
    settings: &Settings,
    m: &'static Mutation,
    f: ChangeFn,
    k: usize,
    mut cited: Vec<Cited>,
    base: &Scorecard,
) -> Option<Outcome> {
    let old = base.items[k].verdict;
    let mut current = Variant::one_for_one(Default::default(), call.clone());
    let mut last: Option<(Variant, Scorecard)> = None;
    for _ in 0..MAX_ROUNDS {
        let Some(v) = f(&current.transcript, &cited, settings) else {
            break;
        };
        let v = Variant {
            sources: v
                .sources
                .iter()
                .map(|r| current.sources[r.start].start..current.sources[r.end - 1].end)
                .collect(),
            ..v
        };
        let card = rubric.score(&v.transcript);
        let new = card.items[k].verdict;
        if new != old {
            return Some(outcome(m, &v, &base.items[k].id, old, new, true));
        }
        cited = cite(&v.transcript, &card.items[k].evidence);
        last = Some((v.clone(), card));
        current = v;
        if cited.is_empty() {
            break;
        }
    }
    let (v, card) = last?;
    let mut o = outcome(m, &v, &base.items[k].id, old, old, false);
    show(
        &mut o,
        call,
        &v,
        &base.items[k].evidence,
        &card.items[k].evidence,
    );
    Some(o)
}

fn outcome(
    m: &'static Mutation,
    v: &Variant,
    item: &str,
    old: Verdict,
    new: Verdict,
    held: bool,
) -> Outcome {
    Outcome {
        mutation: m,
        variant: v.label.clone(),
        item: item.to_string(),
        old,
        new,
        held,
        original: String::new(),
        mutated: String::new(),
        speaker: String::new(),
    }
}

/// The utterances a scorecard item cites, with their quoted spans (an
/// utterance cited without quoted words is left out: nothing to act on).
pub fn cite(call: &Transcript, evidence: &[Evidence]) -> Vec<Cited> {
    let mut used = vec![false; call.utterances.len()];
    let mut out = Vec::new();
    for e in evidence {
        let Some(i) = locate(call, e, &used) else {
            continue;
        };
        used[i] = true;
        if !e.spans.is_empty() {
            out.push(Cited {
                utterance: i,
                spans: e.spans.clone(),
            });
        }
    }
    out
}

fn locate(call: &Transcript, e: &Evidence, used: &[bool]) -> Option<usize> {
    call.utterances.iter().enumerate().position(|(i, u)| {
        !used[i] && u.text == e.text && u.speaker == e.speaker && u.start_ms == e.start_ms
    })
}

/// Fills in the before/after text of a case: the first cited utterance the
/// mutation touched, else the first utterance it touched at all.
fn show(o: &mut Outcome, call: &Transcript, v: &Variant, before: &[Evidence], after: &[Evidence]) {
    let touched = |i: usize| -> bool {
        let now: Vec<&str> = holders(v, i)
            .map(|m| v.transcript.utterances[m].text.as_str())
            .collect();
        let speakers_same =
            holders(v, i).all(|m| v.transcript.utterances[m].speaker == call.utterances[i].speaker);
        now != [call.utterances[i].text.as_str()] || !speakers_same
    };
    let mut unused = vec![false; call.utterances.len()];
    let cited_before: Vec<usize> = before
        .iter()
        .filter_map(|e| locate(call, e, &unused).inspect(|&i| unused[i] = true))
        .collect();
    let mut unused_after = vec![false; v.transcript.utterances.len()];
    let cited_after: Vec<usize> = after
        .iter()
        .filter_map(|e| {
            locate(&v.transcript, e, &unused_after).inspect(|&i| unused_after[i] = true)
        })
        .flat_map(|m| v.sources[m].clone())
        .collect();
    let Some(i) = cited_before
        .iter()
        .chain(&cited_after)
        .copied()
        .find(|&i| touched(i))
        .or_else(|| (0..call.utterances.len()).find(|&i| touched(i)))
    else {
        return;
    };
    let held: Vec<usize> = holders(v, i).collect();
    let from = held.iter().map(|&m| v.sources[m].start).min().unwrap_or(i);
    let to = held
        .iter()
        .map(|&m| v.sources[m].end)
        .max()
        .unwrap_or(i + 1);
    o.original = join(call.utterances[from..to].iter().map(|u| u.text.as_str()));
    o.mutated = join(
        held.iter()
            .map(|&m| v.transcript.utterances[m].text.as_str()),
    );
    let speakers: Vec<&str> = held
        .iter()
        .map(|&m| v.transcript.utterances[m].speaker.as_str())
        .collect();
    o.speaker = if speakers.iter().all(|s| *s == call.utterances[i].speaker) {
        call.utterances[i].speaker.clone()
    } else {
        format!(
            "{}→{}",
            call.utterances[i].speaker,
            speakers.first().copied().unwrap_or("")
        )
    };
}

/// The mutated utterances made from original utterance `i`.
fn holders(v: &Variant, i: usize) -> impl Iterator<Item = usize> + '_ {
    v.sources
        .iter()
        .enumerate()
        .filter(move |(_, r): &(usize, &Range<usize>)| r.contains(&i))
        .map(|(m, _)| m)
}

fn join<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    texts.collect::<Vec<_>>().join(" ｜ ")
}

// ---------------------------------------------------------------- output

fn pct(x: Option<f64>) -> String {
    match x {
        Some(x) => format!("{:.1}%", x * 100.0),
        None => "—".into(),
    }
}

fn variant_name(m: &Mutation, variant: &crate::i18n::Text, lang: Lang) -> String {
    let v = variant.get(lang);
    if v.is_empty() {
        m.name(lang).to_string()
    } else {
        format!("{} {v}", m.name(lang))
    }
}

/// The report a person reads: per item the two shares, per mutation how
/// often it held, then the first `max_cases` brittle cases (all with `None`).
pub fn render_text(report: &Report, lang: Lang, max_cases: Option<usize>) -> String {
    let mut s = String::new();
    let calls = report.calls.len() - report.errors();
    let rates: Vec<String> = report
        .settings
        .rates
        .iter()
        .map(|r| ops::percent_label(*r))
        .collect();
    let sep = lang.pick("、", ", ");
    let _ = writeln!(
        s,
        "{}",
        match lang {
            Lang::Zh => format!(
                "变异测试：评分标准 {}，{} 通电话，随机种子 {}，同音字错误率 {}",
                visible(&report.rubric),
                calls,
                report.settings.seed,
                rates.join(sep)
            ),
            Lang::En => format!(
                "Mutation test of rubric {} on {} {}, seed {}, homophone error rates {}",
                visible(&report.rubric),
                calls,
                if calls == 1 { "call" } else { "calls" },
                report.settings.seed,
                rates.join(sep)
            ),
        }
    );
    let _ = writeln!(
        s,
        "{}\n",
        lang.pick(
            "保持率：不应改变判定的变异中判定未变的比例；改变率：去掉判定所依据证据的变异中判定随之改变的比例。",
            "kept: of the mutations that must not change a verdict, the share that left it as it was; changed: of the mutations that take away the evidence a verdict rests on, the share that changed it."
        )
    );
    let rows = report.per_item();
    let labels: Vec<String> = rows
        .iter()
        .map(|(id, _)| report.titles.label(id, lang))
        .collect();
    let width = labels
        .iter()
        .map(|l| crate::report::display_width(l))
        .max()
        .unwrap_or(0)
        .max(8)
        + 2;
    let (h_item, h_keep, h_change) = (
        lang.pick("项目", "item"),
        lang.pick("保持率", "kept"),
        lang.pick("改变率", "changed"),
    );
    let _ = writeln!(s, "{}{}{}", pad(h_item, width), pad(h_keep, 22), h_change);
    for ((_, r), label) in rows.iter().zip(&labels) {
        let keep = format!("{} {}/{}", pct(r.keep()), r.keep_held, r.keep_total);
        let change = format!("{} {}/{}", pct(r.change()), r.change_held, r.change_total);
        let _ = writeln!(s, "{}{}{}", pad(label, width), pad(&keep, 22), change);
    }
    let _ = writeln!(s, "\n{}", lang.pick("各变异：", "By mutation:"));
    let per = report.per_mutation();
    let names: Vec<String> = per
        .iter()
        .map(|(m, v, _, _)| variant_name(m, v, lang))
        .collect();
    let w = names
        .iter()
        .map(|n| crate::report::display_width(n))
        .max()
        .unwrap_or(0)
        + 2;
    for ((m, _, held, total), name) in per.iter().zip(&names) {
        let kind = match m.kind() {
            Kind::Keep => lang.pick("应保持", "must keep"),
            Kind::Change => lang.pick("应改变", "must change"),
        };
        let _ = writeln!(
            s,
            "  {}{}{} {}/{}",
            pad(name, w),
            pad(kind, 14),
            pct(share(*held, *total)),
            held,
            total
        );
    }
    let cases: Vec<_> = report.cases().collect();
    let shown = max_cases.unwrap_or(cases.len()).min(cases.len());
    let _ = writeln!(
        s,
        "\n{}",
        match lang {
            Lang::Zh if shown < cases.len() => format!(
                "脆弱案例：共 {} 条，列出前 {} 条（--cases 0 列出全部）",
                cases.len(),
                shown
            ),
            Lang::Zh => format!("脆弱案例：共 {} 条", cases.len()),
            Lang::En if shown < cases.len() => format!(
                "Brittle cases: {} in all, the first {} listed (--cases 0 lists all)",
                cases.len(),
                shown
            ),
            Lang::En => format!("Brittle cases: {}", cases.len()),
        }
    );
    let colon = lang.pick("：", ": ");
    let paren = |x: &str| match lang {
        Lang::Zh => format!("（{x}）"),
        Lang::En => format!(" ({x})"),
    };
    for (call, o) in cases.into_iter().take(shown) {
        let expect = match o.mutation.kind() {
            Kind::Keep => lang.pick("应保持", "must keep"),
            Kind::Change => lang.pick("应改变", "must change"),
        };
        let _ = writeln!(
            s,
            "- {} · {}{} · {}{colon}{} → {}",
            visible(&call.call_id),
            variant_name(o.mutation, &o.variant, lang),
            paren(expect),
            report.titles.label(&o.item, lang),
            verdict_word(o.old, lang),
            verdict_word(o.new, lang),
        );
        if !o.original.is_empty() {
            let speaker = o
                .speaker
                .split('→')
                .map(|sp| crate::report::speaker_word(sp, lang).into_owned())
                .collect::<Vec<_>>()
                .join("→");
            let _ = writeln!(
                s,
                "    {}{colon}{}",
                lang.pick("原文", "before"),
                visible(&o.original)
            );
            let mutated = if o.mutated.is_empty() {
                lang.pick("（已删除）", "(removed)").to_string()
            } else {
                o.mutated.clone()
            };
            let _ = writeln!(
                s,
                "    {}{}{colon}{}",
                lang.pick("变异后", "after"),
                paren(&speaker),
                visible(&mutated)
            );
        }
    }
    s
}

/// The report for machines: stable field names, English variant labels.
pub fn to_json(report: &Report) -> Value {
    let items: Vec<Value> = report
        .per_item()
        .into_iter()
        .map(|(id, r)| {
            json!({
                "item": id,
                "keep": {"held": r.keep_held, "total": r.keep_total, "share": r.keep()},
                "change": {"held": r.change_held, "total": r.change_total, "share": r.change()},
            })
        })
        .collect();
    let mutations: Vec<Value> = report
        .per_mutation()
        .into_iter()
        .map(|(m, v, held, total)| {
            json!({"mutation": m.id, "variant": v.get(Lang::En), "kind": m.kind().as_str(), "held": held, "total": total, "share": share(held, total)})
        })
        .collect();
    let cases: Vec<Value> = report
        .cases()
        .map(|(c, o)| {
            json!({
                "call_id": c.call_id,
                "mutation": o.mutation.id,
                "variant": o.variant.get(Lang::En),
                "kind": o.mutation.kind().as_str(),
                "item": o.item,
                "old": o.old.as_str(),
                "new": o.new.as_str(),
                "speaker": o.speaker,
                "original": o.original,
                "mutated": o.mutated,
            })
        })
        .collect();
    let errors: Vec<Value> = report
        .calls
        .iter()
        .filter_map(|c| {
            c.error
                .as_ref()
                .map(|e| json!({"file": c.file.display().to_string(), "error": e}))
        })
        .collect();
    json!({
        "rubric": report.rubric,
        "seed": report.settings.seed,
        "rates": report.settings.rates,
        "calls": report.calls.len() - report.errors(),
        "items": items,
        "mutations": mutations,
        "cases": cases,
        "errors": errors,
    })
}

/// `callqa mutate --list`: every mutation with its kind and documentation.
pub fn render_list(lang: Lang) -> String {
    let mut s = String::new();
    for m in REGISTRY {
        let kind = match m.kind() {
            Kind::Keep => lang.pick("应保持判定", "must keep verdicts"),
            Kind::Change => lang.pick("应改变判定", "must change the verdict"),
        };
        let _ = writeln!(s, "{}  ({}, {})", m.name(lang), m.id, kind);
        for line in m.documentation().lines() {
            let _ = writeln!(s, "    {line}");
        }
        s.push('\n');
    }
    s
}
