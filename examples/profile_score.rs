//! Where scoring time goes: analysis (normalise, segment, match) vs evaluation.
use std::time::Instant;
fn main() {
    let rubric = callqa::rubric::load_and_compile(None).unwrap();
    let files: Vec<_> = std::env::args().skip(1).collect();
    let calls: Vec<_> = files
        .iter()
        .map(|f| callqa::transcript::Transcript::from_path(std::path::Path::new(f)).unwrap())
        .collect();
    let seg = &rubric.segmenter;
    let t = Instant::now();
    for _ in 0..20 {
        for c in &calls {
            for u in &c.utterances {
                let _ = seg.analyze(&u.text);
            }
        }
    }
    println!(
        "segmenter.analyze: {:?} per call",
        t.elapsed() / (20 * calls.len() as u32)
    );
    let t = Instant::now();
    for _ in 0..20 {
        for c in &calls {
            let _ = rubric.analyze(c);
        }
    }
    println!(
        "rubric.analyze:    {:?} per call",
        t.elapsed() / (20 * calls.len() as u32)
    );
    let views: Vec<_> = calls.iter().map(|c| rubric.analyze(c)).collect();
    let t = Instant::now();
    for _ in 0..20 {
        for v in &views {
            let _ = rubric.score_view(v);
        }
    }
    println!(
        "score_view:        {:?} per call",
        t.elapsed() / (20 * views.len() as u32)
    );
}
