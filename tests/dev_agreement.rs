//! Item agreement of the built-in rubric with the analysts' labels on the
//! development set (`fixtures/real/dev`: chat logs, phone transcripts and
//! Whisper-garbled calls written the way real agents and customers talk).
//! The held-back set `fixtures/real/heldout` is measured by
//! `scripts/agreement.py` and reported, never tuned on, so it has no floor here.

use std::path::Path;

use callqa::rubric::{self, CompiledRubric};
use callqa::transcript::Transcript;

#[test]
fn dev_set_agreement_stays_above_its_floor() {
    let r = CompiledRubric::compile(rubric::load_builtin()).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/real/dev");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 90, "{} dev calls", files.len());
    let (mut agree, mut total) = (0usize, 0usize);
    let mut per_item: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let t = Transcript::from_json(&text, path).unwrap();
        let card = r.score(&t);
        for (item, want) in json["expect"].as_object().unwrap() {
            let got = card
                .items
                .iter()
                .find(|i| &i.id == item)
                .unwrap()
                .verdict
                .as_str();
            let e = per_item.entry(item.clone()).or_default();
            e.1 += 1;
            total += 1;
            if got == want.as_str().unwrap() {
                agree += 1;
                e.0 += 1;
            }
        }
    }
    let share = 100.0 * agree as f64 / total as f64;
    for (item, (a, n)) in &per_item {
        eprintln!("{item:<20} {a}/{n}");
    }
    eprintln!("dev item agreement: {agree}/{total} = {share:.1} %");
    // Measured 2026-12-06: 93.1 % with the phrase-and-regex rubric, 95.4 % with
    // token patterns (ownership 21 → 7 disagreements).
    assert!(share >= 95.0, "dev item agreement fell to {share:.1} %");
}
