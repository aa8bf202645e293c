//! One snapshot per rule: every golden fixture's verdict, reason and evidence
//! for that item. A rubric change that flips or rewords anything shows up as
//! a reviewable snapshot diff (`cargo insta review`), rule by rule.

use std::fs;
use std::path::PathBuf;

use callqa::rubric;
use callqa::transcript::Transcript;

#[test]
fn every_rule_on_the_golden_fixtures() {
    let rubric = rubric::load_and_compile(Some(&PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rubrics/cs-standard.toml"
    ))))
    .unwrap();
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/golden"));
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let cards: Vec<_> = files
        .iter()
        .map(|f| rubric.score(&Transcript::from_path(f).unwrap()))
        .collect();
    for item in &rubric.items {
        let id = &item.def.id;
        let rows: Vec<serde_json::Value> = cards
            .iter()
            .map(|card| {
                let result = card.items.iter().find(|i| &i.id == id).unwrap();
                serde_json::json!({
                    "call": card.call_id,
                    "verdict": result.verdict,
                    "reason": result.reason,
                    "reason_en": result.reason_en,
                    "evidence": result.evidence.iter().map(|e| format!(
                        "{}{}: {}",
                        e.speaker,
                        e.start_ms.map(|s| format!("@{s}")).unwrap_or_default(),
                        e.matched.join("、")
                    )).collect::<Vec<_>>(),
                })
            })
            .collect();
        insta::assert_json_snapshot!(format!("rule_{id}"), rows);
    }
}
