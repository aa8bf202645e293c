//! Scoring speed on realistic 5-minute calls (~60 utterances, ~1,500
//! characters), normalisation and segmentation included.
//!
//! - `score_one_call`: one call on one core (target ≤ 200 µs).
//! - `batch_from_disk/{1,2}_workers`: 10,000 transcript files read, parsed
//!   and scored (target: 2 workers ≥ 1.7× faster than 1).
//!
//! `cargo bench --bench scoring` (set `CALLQA_BENCH_CALLS` to change 10,000).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use callqa::batch;
use callqa::rubric;
use callqa::transcript::Transcript;

/// Builds `count` five-minute calls by stitching golden fixtures together:
/// every call opens with a fixture's first half and closes with another's
/// last half, padded with middle turns until ~60 utterances, times re-laid
/// over 300 s.
fn realistic_calls(count: usize) -> Vec<Transcript> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    let fixtures: Vec<Transcript> = files
        .iter()
        .map(|f| Transcript::from_path(f).unwrap())
        .collect();
    (0..count)
        .map(|n| {
            let mut utterances = Vec::new();
            let mut k = n;
            while utterances.len() < 60 {
                let f = &fixtures[k % fixtures.len()];
                utterances.extend(f.utterances.iter().cloned());
                k += 7;
            }
            utterances.truncate(60);
            let total_chars: usize = utterances.iter().map(|u| u.text.chars().count()).sum();
            let mut t = 0u64;
            for u in &mut utterances {
                let len = u.text.chars().count() as u64;
                let dur = 300_000 * len / total_chars.max(1) as u64;
                u.start_ms = Some(t);
                u.end_ms = Some(t + dur.saturating_sub(300));
                t += dur;
            }
            let mut call = fixtures[n % fixtures.len()].clone();
            call.call_id = format!("bench-{n:05}");
            call.extra.remove("expect");
            call.extra.remove("note");
            call.utterances = utterances;
            call
        })
        .collect()
}

fn score_one_call(c: &mut Criterion) {
    let rubric = rubric::load_and_compile(None).unwrap();
    let calls = realistic_calls(32);
    let chars: usize = calls
        .iter()
        .map(|c| {
            c.utterances
                .iter()
                .map(|u| u.text.chars().count())
                .sum::<usize>()
        })
        .sum::<usize>()
        / calls.len();
    eprintln!("calls: 60 utterances, {chars} characters on average");
    let mut group = c.benchmark_group("score_one_call");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("cs-standard", |b| {
        b.iter(|| {
            i = (i + 1) % calls.len();
            rubric.score(&calls[i])
        })
    });
    group.finish();
}

fn batch_from_disk(c: &mut Criterion) {
    let count: usize = std::env::var("CALLQA_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rubric = rubric::load_and_compile(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let calls = realistic_calls(64);
    let mut files = Vec::with_capacity(count);
    for n in 0..count {
        let mut call = calls[n % calls.len()].clone();
        call.call_id = format!("bench-{n:05}");
        let path = dir.path().join(format!("{n:05}.json"));
        fs::write(&path, serde_json::to_vec(&call).unwrap()).unwrap();
        files.push(path);
    }
    let mut group = c.benchmark_group("batch_from_disk");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(count as u64));
    for workers in [1usize, 2] {
        group.bench_with_input(BenchmarkId::new("workers", workers), &workers, |b, &w| {
            b.iter(|| {
                let rows = batch::score_files(&rubric, &files, w);
                assert_eq!(rows.len(), count);
                rows
            })
        });
    }
    group.finish();
}

criterion_group!(benches, score_one_call, batch_from_disk);
criterion_main!(benches);
