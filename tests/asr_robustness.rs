//! Robustness of the built-in rubric to ASR spelling errors: every labelled
//! call (golden, real dev, blind, holdout) is scored on its own text and on
//! copies corrupted by `callqa::perturb` (same-pinyin substitutions of common
//! characters plus a few dropped characters) at several rates and seeds.
//!
//! - *stability*: share of item verdicts equal to the verdict on the
//!   original text (how much the scorecard moves when Whisper misspells);
//! - *accuracy*: share of labelled item verdicts equal to the `expect` label.
//!
//! `cargo test --release --test asr_robustness -- --nocapture` prints the curve
//! per set and the per-item stability at 20 %.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use callqa::perturb::{corrupt_transcript_with_stats, AsrNoise, NoiseStats};
use callqa::rubric::{self, CompiledRubric};
use callqa::score::{Scorecard, Verdict};
use callqa::transcript::Transcript;
use rayon::prelude::*;

/// Folders scored, with the name a set is reported under. `fixtures/real/dev`
/// is written while this test exists: it may be missing, partial or hold a
/// file that does not parse yet, and the test uses whatever is there.
const SETS: [(&str, &str); 4] = [
    ("golden", "fixtures/golden"),
    ("dev", "fixtures/real/dev"),
    ("blind", "fixtures/blind"),
    ("holdout", "fixtures/holdout"),
];

/// Rates of the curve; 0.60 is the deliberately destructive control.
const RATES: [f64; 5] = [0.0, 0.10, 0.20, 0.30, 0.60];
const SEEDS: [u64; 3] = [1, 2, 3];

/// Stability floors, a few points under what was measured on 2026-12-06
/// (release build, seeds 1–3, built-in rubric, 14 items per call). The
/// rubric and the dev set were being edited by others that day, so two
/// snapshots: (A) golden 41 + dev 90 + blind 30 + holdout 31 calls on the
/// rubric of commit 89c818b plus early edits; (B) the same calls on the
/// working-tree rubric an hour later.
///
/// | rate | golden stable A / B | all stable A / B | all correct A / B |
/// |------|---------------------|------------------|-------------------|
/// |  0 % | 100.0 / 100.0 %     | 100.0 / 100.0 %  | 96.7 / 95.9 %     |
/// | 10 % |  98.5 /  98.9 %     |  97.3 /  98.2 %  | 94.2 / 94.8 %     |
/// | 20 % |  96.7 /  97.9 %     |  94.3 /  96.4 %  | 91.4 / 93.5 %     |
/// | 30 % |  93.9 /  96.2 %     |  91.2 /  94.5 %  | 88.4 / 91.8 %     |
/// | 60 % |  86.4 /  91.8 %     |  84.8 /  89.7 %  | 82.1 / 87.3 %     |
///
/// Seeds differ by at most ±0.3 point. Floors sit 2–3.5 points under the
/// lower snapshot.
const FLOOR_ALL_10: f64 = 95.0;
const FLOOR_ALL_20: f64 = 91.0;
const FLOOR_GOLDEN_10: f64 = 96.0;
const FLOOR_GOLDEN_20: f64 = 94.0;
/// The 60 % control must lose at least this many points against 10 %,
/// which shows the measurement can move (and so the floors can fail).
const CONTROL_DROP_POINTS: f64 = 5.0;

struct Call {
    set: &'static str,
    file: PathBuf,
    transcript: Transcript,
    /// Labelled items the rubric knows, with their expected verdicts.
    expect: Vec<(String, Verdict)>,
}

/// Agreement counts.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    stable: usize,
    scored: usize,
    correct: usize,
    labelled: usize,
}

impl Tally {
    fn add(&mut self, o: Tally) {
        self.stable += o.stable;
        self.scored += o.scored;
        self.correct += o.correct;
        self.labelled += o.labelled;
    }

    fn stability(&self) -> f64 {
        100.0 * self.stable as f64 / self.scored.max(1) as f64
    }

    fn accuracy(&self) -> f64 {
        100.0 * self.correct as f64 / self.labelled.max(1) as f64
    }
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    files
}

fn load_calls(rubric: &CompiledRubric) -> Vec<Call> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let known: Vec<&str> = rubric.items.iter().map(|i| i.def.id.as_str()).collect();
    let mut calls = Vec::new();
    for (set, dir) in SETS {
        let files = json_files(&root.join(dir));
        let mut skipped = 0;
        for file in files {
            let Ok(transcript) = Transcript::from_path(&file) else {
                skipped += 1;
                continue;
            };
            let Some(map) = transcript.extra.get("expect").and_then(|v| v.as_object()) else {
                skipped += 1;
                continue;
            };
            let expect: Vec<(String, Verdict)> = map
                .iter()
                .filter(|(id, _)| known.contains(&id.as_str()))
                .filter_map(|(id, v)| Some((id.clone(), Verdict::parse(v.as_str()?)?)))
                .collect();
            calls.push(Call {
                set,
                file,
                transcript,
                expect,
            });
        }
        if skipped > 0 {
            eprintln!("{dir}: {skipped} file(s) skipped (not a transcript with `expect`)");
        }
    }
    calls
}

fn verdicts(card: &Scorecard) -> BTreeMap<&str, Verdict> {
    card.items
        .iter()
        .map(|i| (i.id.as_str(), i.verdict))
        .collect()
}

/// One call at one noise setting: the totals, per-item (stable, scored), and
/// the flips as (item, original, corrupted).
struct Run {
    tally: Tally,
    per_item: BTreeMap<String, (usize, usize)>,
    flips: Vec<(String, Verdict, Verdict)>,
    noise: NoiseStats,
}

fn run(rubric: &CompiledRubric, call: &Call, original: &Scorecard, noise: &AsrNoise) -> Run {
    let (text, stats) = corrupt_transcript_with_stats(&call.transcript, noise);
    let card = rubric.score(&text);
    let before = verdicts(original);
    let after = verdicts(&card);
    let mut out = Run {
        tally: Tally::default(),
        per_item: BTreeMap::new(),
        flips: Vec::new(),
        noise: stats,
    };
    for (id, &v0) in &before {
        let v = after[id];
        out.tally.scored += 1;
        let e = out.per_item.entry(id.to_string()).or_default();
        e.1 += 1;
        if v == v0 {
            out.tally.stable += 1;
            e.0 += 1;
        } else {
            out.flips.push((id.to_string(), v0, v));
        }
    }
    for (id, expected) in &call.expect {
        out.tally.labelled += 1;
        if after[id.as_str()] == *expected {
            out.tally.correct += 1;
        }
    }
    out
}

#[test]
fn verdicts_survive_asr_spelling_errors() {
    let started = std::time::Instant::now();
    let rubric = CompiledRubric::compile(rubric::load_builtin()).expect("built-in rubric");
    let calls = load_calls(&rubric);
    assert!(
        calls.iter().filter(|c| c.set == "golden").count() >= 20,
        "the golden fixtures are missing"
    );
    let originals: Vec<Scorecard> = calls
        .par_iter()
        .map(|c| rubric.score(&c.transcript))
        .collect();

    // (rate index, seed) × call, in parallel over everything.
    let n_calls = calls.len();
    let jobs: Vec<(usize, u64, usize)> = (0..RATES.len())
        .flat_map(|r| {
            SEEDS
                .iter()
                .flat_map(move |&s| (0..n_calls).map(move |c| (r, s, c)))
        })
        .collect();
    let runs: Vec<((usize, usize, usize), Run)> = jobs
        .par_iter()
        .map(|&(r, seed, c)| {
            let noise = AsrNoise::new(RATES[r], seed);
            let s = SEEDS.iter().position(|&x| x == seed).unwrap();
            ((r, s, c), run(&rubric, &calls[c], &originals[c], &noise))
        })
        .collect();

    let set_names: Vec<&str> = SETS.iter().map(|(s, _)| *s).collect();
    // [rate][set] and [rate] over all sets.
    let mut by_set = vec![vec![Tally::default(); SETS.len()]; RATES.len()];
    let mut all = vec![Tally::default(); RATES.len()];
    let mut noise = vec![NoiseStats::default(); RATES.len()];
    // Stability over all sets per seed, to show the spread between seeds.
    let mut by_seed = vec![vec![Tally::default(); SEEDS.len()]; RATES.len()];
    let mut per_item_20: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut flips_20: BTreeMap<(String, Verdict, Verdict), usize> = BTreeMap::new();
    let mut brittle_calls_20: BTreeMap<(String, String), usize> = BTreeMap::new();
    let r20 = RATES.iter().position(|&r| r == 0.20).unwrap();
    for ((r, seed, c), run) in &runs {
        by_seed[*r][*seed].add(run.tally);
        let s = set_names.iter().position(|n| *n == calls[*c].set).unwrap();
        by_set[*r][s].add(run.tally);
        all[*r].add(run.tally);
        noise[*r] += run.noise;
        if *r == r20 {
            for (id, (ok, n)) in &run.per_item {
                let e = per_item_20.entry(id.clone()).or_default();
                e.0 += ok;
                e.1 += n;
            }
            for (id, a, b) in &run.flips {
                *flips_20.entry((id.clone(), *a, *b)).or_default() += 1;
                let name = calls[*c]
                    .file
                    .file_stem()
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                *brittle_calls_20.entry((id.clone(), name)).or_default() += 1;
            }
        }
    }

    // The curve.
    let counts: Vec<String> = set_names
        .iter()
        .map(|s| format!("{s} {}", calls.iter().filter(|c| c.set == *s).count()))
        .collect();
    println!(
        "\nASR robustness: calls {}; seeds {:?}",
        counts.join(", "),
        SEEDS
    );
    print!("{:>5} {:>7} {:>6} ", "rate", "changed", "drops");
    for s in &set_names {
        print!("| {s:^15} ");
    }
    println!("| {:^15} | {:^11}", "all", "all, seeds");
    print!("{:>5} {:>7} {:>6} ", "", "", "");
    for _ in 0..=set_names.len() {
        print!("| {:>7} {:>7} ", "stable", "correct");
    }
    println!("| {:^11}", "stable");
    for (r, rate) in RATES.iter().enumerate() {
        let n = noise[r];
        print!(
            "{:>4.0}% {:>6.1}% {:>5.1}% ",
            rate * 100.0,
            100.0 * n.changed() as f64 / n.han.max(1) as f64,
            100.0 * n.dropped as f64 / n.changed().max(1) as f64
        );
        for t in by_set[r].iter().chain(std::iter::once(&all[r])) {
            if t.scored == 0 {
                print!("| {:>7} {:>7} ", "-", "-");
            } else {
                print!("| {:>6.1}% {:>6.1}% ", t.stability(), t.accuracy());
            }
        }
        let seeds: Vec<f64> = by_seed[r].iter().map(Tally::stability).collect();
        let lo = seeds.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = seeds.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        println!("| {lo:>4.1}–{hi:>4.1}%");
    }
    // One corrupted utterance, so the reader sees what the noise looks like.
    if let Some(call) = calls.iter().find(|c| c.set == "golden") {
        let noisy =
            corrupt_transcript_with_stats(&call.transcript, &AsrNoise::new(0.20, SEEDS[0])).0;
        println!(
            "\nexample at 20 %, seed {}, {}:",
            SEEDS[0], call.transcript.call_id
        );
        for (u, v) in call
            .transcript
            .utterances
            .iter()
            .zip(&noisy.utterances)
            .take(3)
        {
            println!("  {:<8} {}\n  {:<8} {}", u.speaker, u.text, "", v.text);
        }
    }

    println!("\nper-item stability at 20 % (all sets, worst first):");
    let mut items: Vec<(&String, &(usize, usize))> = per_item_20.iter().collect();
    items.sort_by(|a, b| {
        let fa = a.1 .0 as f64 / a.1 .1 as f64;
        let fb = b.1 .0 as f64 / b.1 .1 as f64;
        fa.partial_cmp(&fb).unwrap().then(a.0.cmp(b.0))
    });
    for (id, (ok, n)) in items {
        let mut flips: Vec<(usize, String)> = flips_20
            .iter()
            .filter(|((i, _, _), _)| i == id)
            .map(|((_, a, b), k)| (*k, format!("{}→{} {k}", a.as_str(), b.as_str())))
            .collect();
        flips.sort_by_key(|f| std::cmp::Reverse(f.0));
        let flips: Vec<String> = flips.into_iter().map(|f| f.1).collect();
        println!(
            "  {id:<20} {:>6.1}%  ({ok}/{n})  {}",
            100.0 * *ok as f64 / *n as f64,
            flips.join(", ")
        );
    }
    let mut brittle: Vec<(&(String, String), &usize)> = brittle_calls_20.iter().collect();
    brittle.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!(
        "\nmost frequent flips at 20 % (item, call, flips out of {} seeds):",
        SEEDS.len()
    );
    for ((id, call), k) in brittle.iter().take(15) {
        println!("  {id:<20} {call:<50} {k}");
    }
    println!("({:.1} s)", started.elapsed().as_secs_f64());

    // Rate 0 is the identity: the harness itself introduces no change.
    assert_eq!(
        all[0].stable, all[0].scored,
        "0 % corruption changed a verdict"
    );
    assert_eq!(noise[0].changed(), 0);
    let r10 = RATES.iter().position(|&r| r == 0.10).unwrap();
    let r60 = RATES.iter().position(|&r| r == 0.60).unwrap();
    let (s10, s20, s60) = (
        all[r10].stability(),
        all[r20].stability(),
        all[r60].stability(),
    );
    let golden = set_names.iter().position(|n| *n == "golden").unwrap();
    let (g10, g20) = (
        by_set[r10][golden].stability(),
        by_set[r20][golden].stability(),
    );
    for (what, got, floor) in [
        ("all sets at 10 %", s10, FLOOR_ALL_10),
        ("all sets at 20 %", s20, FLOOR_ALL_20),
        ("golden at 10 %", g10, FLOOR_GOLDEN_10),
        ("golden at 20 %", g20, FLOOR_GOLDEN_20),
    ] {
        assert!(
            got >= floor,
            "verdict stability {what} is {got:.1}%, under its floor {floor}% \
             (see the per-item table above for the items that flip)"
        );
    }
    assert!(
        s60 <= s10 - CONTROL_DROP_POINTS,
        "60 % substitution leaves stability at {s60:.1}% against {s10:.1}% at 10 %: \
         the measurement does not see corruption"
    );
}
