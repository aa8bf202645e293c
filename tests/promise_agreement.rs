//! One lexicon for promises: the promise ledger (`callqa promises`) and the
//! scorecard's `promise_specific` read the same rubric act, so on every call
//! they must agree —
//! - the ledger lists a promise iff `promise_specific` applies (is not `na`);
//! - every listed promise has a deadline iff `promise_specific` passes.
//!
//! Checked on the bundled calls (`fixtures/audio`) and the real-language
//! development set (`fixtures/real/dev`). A disagreement is a bug in the
//! rubric's promise sections or in how the ledger attaches time expressions,
//! never a reason to loosen this test.

use std::path::{Path, PathBuf};

use callqa::promises::extract_promises_with;
use callqa::rubric::{self, CompiledRubric};
use callqa::score::Verdict;
use callqa::transcript::Transcript;

fn calls(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

struct Tally {
    calls: usize,
    promises: usize,
    with_deadline: usize,
    by_kind: std::collections::BTreeMap<&'static str, usize>,
    disagreements: Vec<String>,
}

fn check(r: &CompiledRubric, folder: &str, at_least: usize) -> Tally {
    let files = calls(folder);
    assert!(files.len() >= at_least, "{folder}: {} calls", files.len());
    let mut tally = Tally {
        calls: 0,
        promises: 0,
        with_deadline: 0,
        by_kind: Default::default(),
        disagreements: Vec::new(),
    };
    for path in &files {
        let t = Transcript::from_path(path).unwrap_or_else(|e| panic!("{e}"));
        let card = r.score(&t);
        let verdict = card
            .items
            .iter()
            .find(|i| i.id == "promise_specific")
            .map(|i| i.verdict)
            .expect("the rubric has promise_specific");
        let promises =
            extract_promises_with(r, &t).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        tally.calls += 1;
        tally.promises += promises.len();
        tally.with_deadline += promises.iter().filter(|p| p.deadline.is_some()).count();
        for p in &promises {
            *tally.by_kind.entry(p.kind.as_str()).or_default() += 1;
        }
        let listed = !promises.is_empty();
        let all_have_deadlines = promises.iter().all(|p| p.deadline.is_some());
        let agree = match verdict {
            Verdict::Na => !listed,
            Verdict::Pass => listed && all_have_deadlines,
            Verdict::Fail => listed && !all_have_deadlines,
            Verdict::Review => false,
        };
        if !agree {
            let ledger: Vec<String> = promises
                .iter()
                .map(|p| {
                    format!(
                        "{} “{}” {}",
                        p.kind.as_str(),
                        p.text,
                        p.deadline.as_deref().unwrap_or("(no deadline)")
                    )
                })
                .collect();
            tally.disagreements.push(format!(
                "{}: promise_specific {} ({}), ledger {:?}",
                t.call_id,
                verdict.as_str(),
                card.items
                    .iter()
                    .find(|i| i.id == "promise_specific")
                    .map(|i| i.reason.as_str())
                    .unwrap_or(""),
                ledger
            ));
        }
    }
    tally
}

#[test]
fn ledger_and_promise_specific_agree_on_every_bundled_and_dev_call() {
    let r = CompiledRubric::compile(rubric::load_builtin()).unwrap();
    let mut failures = Vec::new();
    for (folder, at_least) in [("fixtures/audio", 5), ("fixtures/real/dev", 90)] {
        let tally = check(&r, folder, at_least);
        eprintln!(
            "{folder}: {} calls, {} promises ({} with a deadline), kinds {:?}, {} disagreement(s)",
            tally.calls,
            tally.promises,
            tally.with_deadline,
            tally.by_kind,
            tally.disagreements.len()
        );
        assert!(tally.promises > 0, "{folder}: no promise found at all");
        failures.extend(tally.disagreements);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
