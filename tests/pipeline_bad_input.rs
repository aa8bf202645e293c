//! Bad input never stops a batch: a corrupt WAV, a truncated one, a text
//! file named `.wav`, an empty file, a silent recording, a manifest row
//! whose recording is missing and a duplicate call id each become an error
//! row naming the file and the problem, while the good calls are scored;
//! the run ends with exit code 2.

mod pipeline_support;

use std::fs;

use callqa::pipeline::{self, Stage};
use pipeline_support::*;
use serde_json::Value;

#[test]
fn bad_inputs_become_error_rows_and_the_rest_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = dev_dir();
    let good = tmp.path().join("good");
    fs::create_dir_all(&good).unwrap();
    for call in ["dev-01", "dev-03"] {
        fs::copy(
            dev.join(format!("{call}.wav")),
            good.join(format!("{call}.wav")),
        )
        .unwrap();
    }
    let bad = tmp.path().join("bad");
    fs::create_dir_all(&bad).unwrap();
    // A RIFF/WAVE header followed by garbage instead of chunks.
    let mut corrupt = b"RIFF\x00\x10\x00\x00WAVE".to_vec();
    corrupt.extend(std::iter::repeat_n(0xAB, 4096));
    fs::write(bad.join("corrupt.wav"), corrupt).unwrap();
    // The first 40 % of a real recording.
    let whole = fs::read(dev.join("dev-02.wav")).unwrap();
    fs::write(bad.join("truncated.wav"), &whole[..whole.len() * 2 / 5]).unwrap();
    fs::write(bad.join("notes.wav"), "这不是录音，是会议记录。\n").unwrap();
    fs::write(bad.join("empty.wav"), b"").unwrap();
    write_silent_wav(&bad.join("silent.wav"), 2);

    let manifest = tmp.path().join("calls.csv");
    fs::write(
        &manifest,
        "call_id,audio,agent_id\n\
         dev-01,good/dev-01.wav,A1\n\
         lost-1,missing/nowhere.wav,A1\n\
         dev-03,good/dev-03.wav,A2\n\
         dev-01,good/dev-03.wav,A3\n",
    )
    .unwrap();

    let out = tmp.path().join("out");
    let rubric = builtin_rubric();
    let transcriber = GroundTruthTranscriber::new();
    let summary = pipeline::run(
        &options(vec![manifest.clone(), bad.clone()], &out),
        &transcriber,
        &rubric,
    )
    .unwrap();

    assert_eq!(
        transcriber.transcribed_calls(),
        ["dev-01", "dev-03"],
        "only good audio reaches ASR"
    );
    assert_eq!(summary.counts.calls, 9);
    assert_eq!(summary.counts.scored, 2);
    assert_eq!(summary.counts.errors, 7);
    assert_eq!(summary.exit_code(), 2);

    // (call id or file, stage, words the message must contain), in input order.
    let m = |line: u32| format!("{}:{line}", manifest.display());
    let expected: Vec<(String, Stage, Vec<String>)> = vec![
        (
            "lost-1".into(),
            Stage::Input,
            vec![m(3), "nowhere.wav does not exist".into()],
        ),
        (
            "dev-01".into(),
            Stage::Input,
            vec![m(5), "duplicate call id `dev-01`".into(), m(2)],
        ),
        (
            "corrupt".into(),
            Stage::Decode,
            vec![bad.join("corrupt.wav").display().to_string()],
        ),
        (
            "empty".into(),
            Stage::Decode,
            vec![bad.join("empty.wav").display().to_string()],
        ),
        (
            "notes".into(),
            Stage::Decode,
            vec![
                bad.join("notes.wav").display().to_string(),
                "not a RIFF/WAVE file".into(),
            ],
        ),
        (
            "silent".into(),
            Stage::Decode,
            vec![
                bad.join("silent.wav").display().to_string(),
                "silent recording".into(),
            ],
        ),
        (
            "truncated".into(),
            Stage::Decode,
            vec![
                bad.join("truncated.wav").display().to_string(),
                "truncated".into(),
            ],
        ),
    ];
    assert_eq!(summary.errors.len(), expected.len());
    for (error, (call_id, stage, needles)) in summary.errors.iter().zip(&expected) {
        assert_eq!(
            error.call_id.as_deref(),
            Some(call_id.as_str()),
            "{error:?}"
        );
        assert_eq!(error.stage, *stage, "{error:?}");
        assert!(!error.file.is_empty(), "{error:?}");
        for needle in needles {
            assert!(
                error.message.contains(needle.as_str()),
                "`{needle}` not in: {}",
                error.message
            );
        }
    }

    // errors.jsonl: the same rows, one per line.
    let lines = read_jsonl(&out.join("errors.jsonl"));
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[4]["stage"], "decode");
    assert_eq!(
        lines[4]["file"],
        bad.join("notes.wav").display().to_string()
    );
    assert_eq!(lines[0]["origin"], m(3));

    // scorecards.jsonl: every input in order; error rows carry the message.
    let rows = read_jsonl(&out.join("scorecards.jsonl"));
    let kinds: Vec<String> = rows
        .iter()
        .map(|r| match (&r["call_id"], &r["error"]) {
            (Value::String(id), Value::Null) => id.clone(),
            (_, Value::String(_)) => "error".into(),
            other => panic!("unexpected row {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        ["dev-01", "error", "dev-03", "error", "error", "error", "error", "error", "error"]
    );
    assert_eq!(rows[0]["agent_id"], "A1");
    assert_eq!(rows[2]["agent_id"], "A2");

    // CSV has an error row per failed input, with the file.
    let csv = fs::read_to_string(out.join("scorecards.csv")).unwrap();
    assert!(csv.contains("silent recording") && csv.contains("notes.wav"));

    let written = read_json(&out.join("summary.json"));
    assert_eq!(written["counts"]["errors"], 7);
    assert_eq!(written["errors"].as_array().unwrap().len(), 7);
    assert!(written["errors"][5]["message"]
        .as_str()
        .unwrap()
        .contains("silent.wav"));

    // Errors are not finished calls: the next run tries them again (and
    // still fails them), while the good calls are not redone.
    let again = GroundTruthTranscriber::new();
    let summary = pipeline::run(&options(vec![manifest, bad], &out), &again, &rubric).unwrap();
    assert_eq!(again.total(), 0);
    assert_eq!(summary.counts.errors, 7);
    assert_eq!(summary.timing.result_cache_hits, 2);
}
