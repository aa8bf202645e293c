//! Precision and recall of `callqa::redact` on a labelled set, per kind.
//!
//! usage: cargo run --release --example redact_eval -- fixtures/redact/dev [fixtures/redact/heldout]
//!        cargo run --release --example redact_eval -- --show TRANSCRIPT.json…
//!
//! Each folder holds `*.jsonl` files, one snippet per line:
//! `{"id": "...", "utterances": [{"speaker": "customer", "text": "..."}],
//!   "pii": [{"kind": "mobile", "text": "幺三八…"}]}` — every personal item
//! with its kind and its exact text as written in the utterance (a number
//! split over two utterances is listed once per utterance part). A found
//! span counts as a true positive when it covers a labelled text of its kind
//! in that utterance (the placeholder's context must equal the labelled
//! text's context: nothing else of the utterance may be taken); a labelled
//! item not covered is a miss. `--show` prints the utterances of real
//! transcripts that redaction changes, for checking by eye.

use std::collections::BTreeMap;
use std::path::Path;

use callqa::redact::{Kind, Policy};
use callqa::transcript::{Transcript, Utterance};
use serde::Deserialize;

#[derive(Deserialize)]
struct Snippet {
    id: String,
    utterances: Vec<Utterance>,
    #[serde(default)]
    pii: Vec<Label>,
}

#[derive(Deserialize)]
struct Label {
    kind: Kind,
    text: String,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--show") {
        show(&args[1..]);
        return;
    }
    if args.is_empty() {
        eprintln!("usage: redact_eval DIR… | --show TRANSCRIPT.json…");
        std::process::exit(2);
    }
    let verbose = std::env::var_os("VERBOSE").is_some();
    println!("| set | kind | labelled | found | precision | recall |");
    println!("|---|---|---:|---:|---:|---:|");
    for dir in &args {
        let counts = evaluate(Path::new(dir), verbose);
        let mut total = Counts::default();
        for kind in Kind::ALL {
            let c = counts.get(&kind).copied().unwrap_or_default();
            total.tp += c.tp;
            total.fp += c.fp;
            total.fn_ += c.fn_;
            row(dir, kind.as_str(), c);
        }
        row(dir, "all", total);
    }
}

fn row(set: &str, kind: &str, c: Counts) {
    let pct = |n: usize, d: usize| {
        if d == 0 {
            "–".to_string()
        } else {
            format!("{:.1} %", 100.0 * n as f64 / d as f64)
        }
    };
    println!(
        "| {} | {kind} | {} | {} | {} | {} |",
        Path::new(set)
            .file_name()
            .map_or(set.into(), |n| n.to_string_lossy()),
        c.tp + c.fn_,
        c.tp + c.fp,
        pct(c.tp, c.tp + c.fp),
        pct(c.tp, c.tp + c.fn_)
    );
}

fn evaluate(dir: &Path, verbose: bool) -> BTreeMap<Kind, Counts> {
    let mut counts: BTreeMap<Kind, Counts> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let policy = Policy::all();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let snippet: Snippet = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), n + 1));
            let transcript = Transcript {
                call_id: snippet.id.clone(),
                agent_id: None,
                customer_id: None,
                started_at: None,
                direction: None,
                audio: None,
                utterances: snippet.utterances.clone(),
                extra: Default::default(),
            };
            let redacted = policy.transcript(transcript);
            // Found items: each placeholder, with the original text it replaced.
            let mut found: Vec<(Kind, String)> = Vec::new();
            for (before, after) in snippet.utterances.iter().zip(&redacted.utterances) {
                found.extend(replaced(&before.text, &after.text));
            }
            let mut labels: Vec<(Kind, String, bool)> = snippet
                .pii
                .iter()
                .map(|l| (l.kind, l.text.clone(), false))
                .collect();
            for (kind, text) in &found {
                let hit = labels
                    .iter_mut()
                    .find(|(k, t, used)| !*used && k == kind && normal(t) == normal(text));
                match hit {
                    Some(label) => {
                        label.2 = true;
                        counts.entry(*kind).or_default().tp += 1;
                    }
                    None => {
                        counts.entry(*kind).or_default().fp += 1;
                        if verbose {
                            println!("FP {} {}: {text}", snippet.id, kind.as_str());
                        }
                    }
                }
            }
            for (kind, text, used) in labels {
                if !used {
                    counts.entry(kind).or_default().fn_ += 1;
                    if verbose {
                        println!("FN {} {}: {text}", snippet.id, kind.as_str());
                    }
                }
            }
        }
    }
    counts
}

/// Labels and spans are compared without surrounding separators.
fn normal(text: &str) -> String {
    text.trim_matches(|c: char| callqa::text::is_punctuation(c))
        .to_string()
}

/// The (kind, original text) of each placeholder in `after`, by aligning it
/// with `before`: the text between the placeholder's neighbours.
fn replaced(before: &str, after: &str) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    let mut rest_before = before;
    let mut rest_after = after;
    loop {
        let next = Kind::ALL
            .iter()
            .filter_map(|k| rest_after.find(k.placeholder()).map(|at| (at, *k)))
            .min();
        let Some((at, kind)) = next else { break };
        let prefix = &rest_after[..at];
        rest_before = &rest_before[prefix.len()..];
        rest_after = &rest_after[at + kind.placeholder().len()..];
        // The replaced text ends where the text after the placeholder
        // (up to the next placeholder) starts again in `before`.
        let following: &str = Kind::ALL
            .iter()
            .filter_map(|k| rest_after.find(k.placeholder()))
            .min()
            .map_or(rest_after, |end| &rest_after[..end]);
        let end = if following.is_empty() {
            rest_before.len()
        } else {
            rest_before.find(following).unwrap_or(rest_before.len())
        };
        out.push((kind, rest_before[..end].to_string()));
        rest_before = &rest_before[end..];
    }
    out
}

fn show(files: &[String]) {
    let policy = Policy::all();
    for file in files {
        let Ok(transcript) = Transcript::from_path(Path::new(file)) else {
            continue;
        };
        let redacted = policy.transcript(transcript.clone());
        for (a, b) in transcript.utterances.iter().zip(&redacted.utterances) {
            if a.text != b.text {
                println!("{file}\n  {}: {}\n  → {}", a.speaker, a.text, b.text);
            }
        }
    }
}
