//! `callqa diff` speed: comparing one call with two rubric versions on one
//! analysis vs scoring it twice, side by side, for a phrase change (hits
//! found again) and a window/pass_score change (hits shared too); then a
//! batch from disk on 1 and 2 workers. The ratio `diff / score twice` is
//! what sharing the analysis buys.
//!
//! `cargo bench --bench diff` (small samples: under two minutes).

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use callqa::diff::{corpus, Pair};
use callqa::rubric::{self, CompiledRubric};
use callqa::transcript::Transcript;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rubric_from(text: &str) -> CompiledRubric {
    let dict = std::fs::read_to_string(root().join("rubrics/cs-dict.txt")).unwrap();
    let source = rubric::parse("bench.toml", text, |_| {
        Ok(("cs-dict.txt".into(), dict.clone()))
    })
    .unwrap();
    CompiledRubric::compile(source).unwrap()
}

/// (old, a phrase change, a window + pass_score change).
fn rubrics() -> (CompiledRubric, CompiledRubric, CompiledRubric) {
    let text = std::fs::read_to_string(root().join("rubrics/cs-standard.toml")).unwrap();
    let phrases = text.replacen(
        "\"谢谢\", \"感谢\", \"多谢\", \"谢谢您\", ",
        "\"感谢\", ",
        1,
    );
    assert_ne!(phrases, text, "the thanks phrases moved; update the bench");
    let windows = text
        .replace("within = { last_turns = 2 }", "within = { last_turns = 1 }")
        .replacen("pass_score = 80", "pass_score = 85", 1);
    assert_ne!(windows, text);
    (
        rubric_from(&text),
        rubric_from(&phrases),
        rubric_from(&windows),
    )
}

fn corpus_files() -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = [
        "fixtures/golden",
        "fixtures/holdout",
        "fixtures/blind",
        "fixtures/real",
    ]
    .iter()
    .map(|d| root().join(d))
    .collect();
    corpus::collect(&dirs).unwrap()
}

fn per_call(c: &mut Criterion) {
    let (old, phrases, windows) = rubrics();
    let calls: Vec<Transcript> = corpus_files()
        .iter()
        .filter_map(|f| Transcript::from_path(f).ok())
        .filter(|t| callqa::score::check_usable_speech(t).is_ok())
        .collect();
    let mut group = c.benchmark_group("diff_per_call");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(calls.len() as u64));
    for (name, new) in [("phrase_change", &phrases), ("window_change", &windows)] {
        group.bench_function(BenchmarkId::new("score_twice", name), |b| {
            b.iter(|| {
                for t in &calls {
                    std::hint::black_box((old.score(t), new.score(t)));
                }
            })
        });
        let pair = Pair::new(&old, new);
        group.bench_function(BenchmarkId::new("diff", name), |b| {
            b.iter(|| {
                for t in &calls {
                    std::hint::black_box(pair.compare(Path::new("x.json"), t.clone()));
                }
            })
        });
    }
    group.finish();
}

fn batch(c: &mut Criterion) {
    let (old, phrases, _) = rubrics();
    let pair = Pair::new(&old, &phrases);
    let files = corpus_files();
    // Enough files that rayon has work to spread: the corpus four times.
    let files: Vec<PathBuf> = files
        .iter()
        .cycle()
        .take(files.len() * 4)
        .cloned()
        .collect();
    let mut group = c.benchmark_group("diff_batch_from_disk");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(6))
        .throughput(Throughput::Elements(files.len() as u64));
    for workers in [1, 2] {
        group.bench_function(
            BenchmarkId::from_parameter(format!("{workers}_workers")),
            |b| b.iter(|| std::hint::black_box(pair.diff_files(&files, workers))),
        );
    }
    group.finish();
}

criterion_group!(benches, per_call, batch);
criterion_main!(benches);
