//! `pipeline::run` over the four dev recordings: every output file, the
//! scorecards equal to scoring the ground truth directly, the transcript
//! cache (a second run transcribes nothing and writes the same bytes), a
//! rubric change re-scoring from cached transcripts, `rescore` without the
//! audio, and input order kept whatever the number of workers.

mod pipeline_support;

use std::fs;
use std::path::Path;

use callqa::pipeline::{self, PipelineError, ProgressMode, RescoreOptions, Stage};
use callqa::score::Verdict;
use pipeline_support::*;
use serde_json::Value;

/// scorecards.jsonl lines without the `file` the envelope adds.
fn scorecards_without_file(out: &Path) -> Vec<Value> {
    read_jsonl(&out.join("scorecards.jsonl"))
        .into_iter()
        .map(|mut v| {
            v.as_object_mut().unwrap().remove("file");
            v
        })
        .collect()
}

#[test]
fn run_over_dev_calls_writes_every_output_and_matches_ground_truth_scoring() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dev_wavs(&tmp.path().join("calls"));
    let manifest = tmp.path().join("calls.csv");
    fs::write(&manifest, dev_manifest_rows("calls")).unwrap();
    let out = tmp.path().join("out");
    let rubric = builtin_rubric();
    let transcriber = GroundTruthTranscriber::new();

    let summary = pipeline::run(&options(vec![manifest], &out), &transcriber, &rubric).unwrap();

    // Every call transcribed once, both channels.
    assert_eq!(
        transcriber.calls().into_iter().collect::<Vec<_>>(),
        DEV_CALLS
            .iter()
            .map(|c| (c.to_string(), 2))
            .collect::<Vec<_>>()
    );

    // Scorecards: exactly what scoring the ground truth gives.
    let expected: Vec<_> = DEV_CALLS
        .iter()
        .map(|c| rubric.score(&ground_truth(c)))
        .collect();
    // scorecards.jsonl carries the reasons in the run's language (zh here).
    let expected_values: Vec<Value> = expected
        .iter()
        .map(|c| serde_json::to_value(c.in_lang(callqa::i18n::Lang::Zh)).unwrap())
        .collect();
    assert_eq!(scorecards_without_file(&out), expected_values);
    let lines = read_jsonl(&out.join("scorecards.jsonl"));
    for (line, call) in lines.iter().zip(DEV_CALLS) {
        assert_eq!(
            line["file"],
            tmp.path()
                .join("calls")
                .join(format!("{call}.wav"))
                .display()
                .to_string()
        );
    }
    // The dev set has good and bad calls (README: 100, 100, 37.5, 0).
    let passed: Vec<bool> = expected.iter().map(|c| c.passed).collect();
    assert_eq!(passed, [true, true, false, false]);

    // Transcripts: the ground truth's speakers, times, text and metadata, plus the ASR stamp.
    for call in DEV_CALLS {
        let truth = ground_truth(call);
        let written = read_json(&out.join("transcripts").join(format!("{call}.json")));
        for field in [
            "call_id",
            "agent_id",
            "customer_id",
            "started_at",
            "direction",
        ] {
            assert_eq!(
                written[field],
                serde_json::to_value(&truth).unwrap()[field],
                "{call} {field}"
            );
        }
        assert_eq!(
            written["audio"],
            tmp.path()
                .join("calls")
                .join(format!("{call}.wav"))
                .display()
                .to_string()
        );
        assert_eq!(written["asr"]["engine"], "ground-truth replay (tests)");
        let utterances = written["utterances"].as_array().unwrap();
        assert_eq!(utterances.len(), truth.utterances.len(), "{call}");
        for (got, want) in utterances.iter().zip(&truth.utterances) {
            assert_eq!(got["speaker"], want.speaker.as_str(), "{call}");
            assert_eq!(got["text"], want.text.as_str(), "{call}");
            assert_eq!(got["start_ms"], want.start_ms.unwrap(), "{call}");
            assert_eq!(got["end_ms"], want.end_ms.unwrap(), "{call}");
        }
    }

    // CSV: BOM, header, one row per call × item.
    let csv = fs::read(out.join("scorecards.csv")).unwrap();
    assert!(csv.starts_with("\u{feff}call_id,".as_bytes()));
    let rows = String::from_utf8(csv).unwrap().lines().count();
    assert_eq!(
        rows,
        1 + expected.iter().map(|c| c.items.len()).sum::<usize>()
    );
    assert!(
        String::from_utf8(fs::read(out.join("scorecards.csv")).unwrap())
            .unwrap()
            .contains("欢迎致电")
    );

    // Summary: counts, rates, per-item verdicts, timing.
    assert_eq!(fs::read_to_string(out.join("errors.jsonl")).unwrap(), "");
    let written = read_json(&out.join("summary.json"));
    assert_eq!(
        written["counts"],
        serde_json::json!({"calls": 4, "scored": 4, "passed": 2, "failed": 2, "errors": 0})
    );
    assert_eq!(written["pass_rate"], 0.5);
    let mean = expected.iter().map(|c| c.score).sum::<f64>() / 4.0;
    assert!((written["mean_score"].as_f64().unwrap() - mean).abs() < 0.006);
    assert_eq!(written["rubric"]["sha256"], rubric.source.sha256.as_str());
    assert_eq!(written["asr"]["settings"], "energy-picked speaker");
    for item in written["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        for verdict in [Verdict::Pass, Verdict::Fail, Verdict::Na, Verdict::Review] {
            let want = expected
                .iter()
                .flat_map(|c| &c.items)
                .filter(|i| i.id == id && i.verdict == verdict)
                .count();
            assert_eq!(item[verdict.as_str()], want, "{id} {}", verdict.as_str());
        }
    }
    assert_eq!(
        written["items"].as_array().unwrap().len(),
        rubric.items.len()
    );
    let timing = &written["timing"];
    assert_eq!(timing["transcribed"], 4);
    let audio_seconds = timing["audio_seconds"].as_f64().unwrap();
    assert!(
        (audio_seconds - (84.5 + 108.1 + 61.8 + 85.8)).abs() < 1.0,
        "{audio_seconds}"
    );
    assert!(timing["real_time_factor"].as_f64().unwrap() > 0.0);
    assert_eq!(
        summary.exit_code(),
        1,
        "two calls fail their rubric, none errors"
    );
    assert_eq!(summary.counts.scored, 4);

    // Nothing stray in the output folder (temporary files are renamed away).
    assert_eq!(
        file_names(&out)
            .into_iter()
            .filter(|n| !n.starts_with("callqa.sqlite"))
            .collect::<Vec<_>>(),
        [
            // Kept (empty) between runs: removing it could let two runs
            // lock two different files of the same name.
            "callqa.lock",
            "errors.jsonl",
            "scorecards.csv",
            "scorecards.jsonl",
            "summary.json",
            "transcripts"
        ]
    );
    assert_eq!(
        file_names(&out.join("transcripts")),
        ["dev-01.json", "dev-02.json", "dev-03.json", "dev-04.json"]
    );
}

#[test]
fn second_run_transcribes_nothing_and_writes_identical_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    copy_dev_wavs(&calls);
    let out = tmp.path().join("out");
    let rubric = builtin_rubric();
    let opts = options(vec![calls], &out);

    let first = GroundTruthTranscriber::new();
    let summary = pipeline::run(&opts, &first, &rubric).unwrap();
    assert_eq!(first.total(), 8);
    assert_eq!(summary.timing.transcribed, 4);
    let snapshot = |name: &str| fs::read(out.join(name)).unwrap();
    let before: Vec<Vec<u8>> = [
        "scorecards.jsonl",
        "scorecards.csv",
        "errors.jsonl",
        "transcripts/dev-03.json",
    ]
    .iter()
    .map(|n| snapshot(n))
    .collect();
    let summary_before = read_json(&out.join("summary.json"));

    let second = GroundTruthTranscriber::new();
    let summary = pipeline::run(&opts, &second, &rubric).unwrap();
    assert_eq!(
        second.total(),
        0,
        "the second run transcribed {:?}",
        second.calls()
    );
    assert_eq!(summary.timing.transcribed, 0);
    assert_eq!(summary.timing.result_cache_hits, 4);
    let after: Vec<Vec<u8>> = [
        "scorecards.jsonl",
        "scorecards.csv",
        "errors.jsonl",
        "transcripts/dev-03.json",
    ]
    .iter()
    .map(|n| snapshot(n))
    .collect();
    assert!(before == after, "re-run outputs differ");

    // summary.json: only `timing` may change.
    let mut a = summary_before;
    let mut b = read_json(&out.join("summary.json"));
    a.as_object_mut().unwrap().remove("timing");
    b.as_object_mut().unwrap().remove("timing");
    assert_eq!(a, b);
}

#[test]
fn changing_the_rubric_rescores_from_cached_transcripts() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    copy_dev_wavs(&calls);
    let out = tmp.path().join("out");
    let opts = options(vec![calls], &out);
    let standard = builtin_rubric();
    let lenient = edited_rubric(
        &tmp.path().join("rubric"),
        "pass_score = 80",
        "pass_score = 30",
    );
    assert_ne!(standard.source.sha256, lenient.source.sha256);

    pipeline::run(&opts, &GroundTruthTranscriber::new(), &standard).unwrap();
    let transcriber = GroundTruthTranscriber::new();
    let summary = pipeline::run(&opts, &transcriber, &lenient).unwrap();
    assert_eq!(
        transcriber.total(),
        0,
        "re-scoring transcribed {:?}",
        transcriber.calls()
    );
    assert_eq!(summary.timing.transcript_cache_hits, 4);
    assert_eq!(summary.timing.result_cache_hits, 0);

    let cards = read_jsonl(&out.join("scorecards.jsonl"));
    assert!(cards
        .iter()
        .all(|c| c["rubric_sha256"] == lenient.source.sha256.as_str()));
    let passed: Vec<bool> = cards
        .iter()
        .map(|c| c["passed"].as_bool().unwrap())
        .collect();
    assert_eq!(
        passed,
        [true, true, true, false],
        "dev-03 (37.5) passes at 30; dev-04 has a critical failure"
    );
    assert_eq!(summary.exit_code(), 1);

    // Back to the standard rubric: its results are still recorded.
    let summary = pipeline::run(&opts, &GroundTruthTranscriber::new(), &standard).unwrap();
    assert_eq!(summary.timing.result_cache_hits, 4);
    assert_eq!(summary.counts.passed, 2);
}

#[test]
fn rescore_needs_no_audio_and_rewrites_the_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    copy_dev_wavs(&calls);
    let out = tmp.path().join("out");
    pipeline::run(
        &options(vec![calls.clone()], &out),
        &GroundTruthTranscriber::new(),
        &builtin_rubric(),
    )
    .unwrap();
    let transcript_before = fs::read(out.join("transcripts/dev-01.json")).unwrap();

    fs::remove_dir_all(&calls).unwrap();
    let lenient = edited_rubric(
        &tmp.path().join("rubric"),
        "pass_score = 80",
        "pass_score = 30",
    );
    let mut opts = RescoreOptions::new(&out);
    opts.progress = ProgressMode::Off;
    let summary = pipeline::rescore(&opts, &lenient).unwrap();

    assert_eq!(summary.counts.scored, 4);
    assert_eq!(summary.counts.errors, 0);
    assert_eq!(summary.counts.passed, 3);
    let cards = read_jsonl(&out.join("scorecards.jsonl"));
    assert_eq!(cards.len(), 4);
    for (card, call) in cards.iter().zip(DEV_CALLS) {
        assert_eq!(card["call_id"], call);
        assert_eq!(card["rubric_sha256"], lenient.source.sha256.as_str());
        assert_eq!(
            card["file"],
            calls.join(format!("{call}.wav")).display().to_string()
        );
    }
    assert_eq!(
        read_json(&out.join("summary.json"))["rubric"]["sha256"],
        lenient.source.sha256.as_str()
    );
    assert_eq!(
        fs::read(out.join("transcripts/dev-01.json")).unwrap(),
        transcript_before
    );

    // A folder no run wrote to: a clear error pointing at `callqa run`.
    let never = tmp.path().join("never-run");
    fs::create_dir_all(&never).unwrap();
    let err = pipeline::rescore(&RescoreOptions::new(&never), &lenient).unwrap_err();
    assert!(matches!(err, PipelineError::NoRecordedRun { .. }));
    let message = err.to_string();
    assert!(
        message.contains("never-run") && message.contains("callqa run"),
        "{message}"
    );
}

#[test]
fn output_order_is_input_order_whatever_the_workers() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    let wavs = copy_dev_wavs(&calls);
    // Inputs in a non-sorted order: explicit files keep the order given.
    let inputs = vec![
        wavs[3].clone(),
        wavs[0].clone(),
        wavs[2].clone(),
        wavs[1].clone(),
    ];
    let rubric = builtin_rubric();
    let mut outputs = Vec::new();
    for jobs in [1, 4] {
        let out = tmp.path().join(format!("out-{jobs}"));
        let mut opts = options(inputs.clone(), &out);
        opts.jobs = jobs;
        pipeline::run(&opts, &GroundTruthTranscriber::new(), &rubric).unwrap();
        outputs.push(fs::read(out.join("scorecards.jsonl")).unwrap());
        let ids: Vec<_> = read_jsonl(&out.join("scorecards.jsonl"))
            .iter()
            .map(|c| c["call_id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, ["dev-04", "dev-01", "dev-03", "dev-02"]);
    }
    assert!(
        outputs[0] == outputs[1],
        "jobs=1 and jobs=4 wrote different scorecards"
    );
}

#[test]
fn a_panicking_transcriber_fails_only_its_call() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    copy_dev_wavs(&calls);
    let out = tmp.path().join("out");
    let rubric = builtin_rubric();
    let opts = options(vec![calls], &out);

    let mut crashing = GroundTruthTranscriber::new();
    crashing.panic_on = Some("dev-02".into());
    let summary = pipeline::run(&opts, &crashing, &rubric).unwrap();
    assert_eq!(summary.counts.scored, 3);
    assert_eq!(summary.counts.errors, 1);
    assert_eq!(summary.exit_code(), 2);
    let error = &summary.errors[0];
    assert_eq!(error.call_id.as_deref(), Some("dev-02"));
    assert_eq!(error.stage, Stage::Internal);
    assert!(
        error.message.contains("dev-02.wav") && error.message.contains("simulated engine crash"),
        "{}",
        error.message
    );

    // The next run retries only the failed call.
    let retry = GroundTruthTranscriber::new();
    let summary = pipeline::run(&opts, &retry, &rubric).unwrap();
    assert_eq!(retry.transcribed_calls(), ["dev-02"]);
    assert_eq!(summary.counts.errors, 0);
    assert_eq!(summary.counts.scored, 4);
}
