//! Scoring time against the length of one utterance (issue 10, defect 10):
//! 10,000 and 100,000 characters of three shapes that were quadratic —
//! one greeting repeated (您好…), characters drawn from the golden calls,
//! and short phrases repeated with commas. Linear time means the 100k row
//! takes about 10× the 10k row (the quadratic version: 您好 × 250k took
//! 120 s, 50k short phrases 54 s).
//!
//! `cargo bench --bench long_text`

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use callqa::rubric;
use callqa::transcript::Transcript;

/// Every character spoken in the golden calls, in file order.
fn golden_chars() -> Vec<char> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            let t = Transcript::from_path(f).unwrap();
            t.utterances
                .into_iter()
                .flat_map(|u| u.text.chars().collect::<Vec<_>>())
        })
        .collect()
}

/// `chars` characters of one shape.
fn text(shape: &str, chars: usize, golden: &[char]) -> String {
    match shape {
        "greeting" => "您好".repeat(chars / 2),
        "mixed" => {
            let mut seed = 7u64;
            (0..chars)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    golden[(seed >> 33) as usize % golden.len()]
                })
                .collect()
        }
        _ => {
            let phrases = [
                "好的",
                "嗯",
                "明白",
                "我帮您查一下",
                "请稍等",
                "退款",
                "不行",
                "谢谢",
            ];
            let mut out = String::new();
            let mut i = 0;
            while out.chars().count() < chars {
                out.push_str(phrases[i * 7 % phrases.len()]);
                out.push('，');
                i += 1;
            }
            out.chars().take(chars).collect()
        }
    }
}

fn call(text: String) -> Transcript {
    serde_json::from_value(serde_json::json!({
        "call_id": "long",
        "utterances": [
            {"speaker": "agent", "text": "您好，欢迎致电，很高兴为您服务。", "start_ms": 0, "end_ms": 3000},
            {"speaker": "customer", "text": text, "start_ms": 3000, "end_ms": 600_000}
        ]
    }))
    .unwrap()
}

fn one_long_utterance(c: &mut Criterion) {
    let rubric = rubric::load_and_compile(None).unwrap();
    let golden = golden_chars();
    let mut group = c.benchmark_group("one_long_utterance");
    group.sample_size(10);
    for shape in ["greeting", "mixed", "phrases"] {
        for chars in [10_000usize, 100_000] {
            let transcript = call(text(shape, chars, &golden));
            group.throughput(Throughput::Elements(chars as u64));
            group.bench_with_input(BenchmarkId::new(shape, chars), &transcript, |b, t| {
                b.iter(|| rubric.score(t))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, one_long_utterance);
criterion_main!(benches);
