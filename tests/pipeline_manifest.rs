//! Inputs of a run: manifest CSVs (metadata into transcripts and
//! scorecards, the `agent_channel` override, bad rows as error rows naming
//! `file:line`, bad headers stopping the run), folders searched recursively
//! and in sorted order, and duplicate call ids across inputs.

mod pipeline_support;

use std::fs;
use std::path::{Path, PathBuf};

use callqa::pipeline::{
    self, collect_inputs, read_manifest, AgentChannel, InputError, ManifestError, PipelineError,
};
use pipeline_support::*;

fn touch(path: &Path) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, b"").unwrap();
}

/// The messages of the rejected entries, by call id or origin.
fn rejections(planned: &[pipeline::PlannedCall]) -> Vec<String> {
    planned
        .iter()
        .filter_map(|p| p.as_ref().err())
        .map(|r| r.to_string())
        .collect()
}

#[test]
fn manifest_metadata_and_agent_channel_override() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = dev_dir();
    // dev-03 with the agent moved to the right channel.
    write_swapped_channels(
        &dev.join("dev-03.wav"),
        &tmp.path().join("swapped/dev-03.wav"),
    );
    fs::write(
        tmp.path().join("calls.csv"),
        "call_id,audio,agent_id,customer_id,started_at,direction,agent_channel\n\
         B-2,swapped/dev-03.wav,A-77,C-88,2026-11-20T09:30:00+08:00,Outbound,right\n",
    )
    .unwrap();
    let rubric = builtin_rubric();
    let out = tmp.path().join("out");
    let summary = pipeline::run(
        &options(vec![tmp.path().join("calls.csv")], &out),
        &GroundTruthTranscriber::new(),
        &rubric,
    )
    .unwrap();
    assert_eq!(summary.counts.scored, 1, "{:?}", summary.errors);

    // The transcript: the manifest's metadata, the right channel as the agent.
    let written = read_json(&out.join("transcripts/B-2.json"));
    assert_eq!(written["call_id"], "B-2");
    assert_eq!(written["agent_id"], "A-77");
    assert_eq!(written["customer_id"], "C-88");
    assert_eq!(written["started_at"], "2026-11-20T09:30:00+08:00");
    assert_eq!(written["direction"], "outbound");
    assert_eq!(
        written["audio"],
        tmp.path().join("swapped/dev-03.wav").display().to_string()
    );
    let truth = ground_truth("dev-03");
    let speakers: Vec<&str> = written["utterances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["speaker"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = truth
        .utterances
        .iter()
        .map(|u| u.speaker.as_str())
        .collect();
    assert_eq!(speakers, expected);

    // The scorecard: the ground truth scored under the manifest's identity.
    let mut renamed = truth.clone();
    renamed.call_id = "B-2".into();
    renamed.agent_id = Some("A-77".into());
    let card = &read_jsonl(&out.join("scorecards.jsonl"))[0];
    let want =
        serde_json::to_value(rubric.score(&renamed).in_lang(callqa::i18n::Lang::Zh)).unwrap();
    for field in ["call_id", "agent_id", "score", "passed", "items"] {
        assert_eq!(card[field], want[field], "{field}");
    }

    // Control: without the override the roles come out swapped, so the
    // override (not luck) made the transcript right.
    let out = tmp.path().join("out-no-override");
    pipeline::run(
        &options(vec![tmp.path().join("swapped/dev-03.wav")], &out),
        &GroundTruthTranscriber::new(),
        &rubric,
    )
    .unwrap();
    let written = read_json(&out.join("transcripts/dev-03.json"));
    let first = &written["utterances"][0];
    assert_eq!(first["text"], truth.utterances[0].text.as_str());
    assert_eq!(
        first["speaker"], "customer",
        "the agent's first line, read from the wrong channel"
    );
}

#[test]
fn bad_manifest_rows_are_rejected_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    touch(&tmp.path().join("rec/a.wav"));
    touch(&tmp.path().join("rec/b.wav"));
    touch(&tmp.path().join("rec/c.wav"));
    let manifest = tmp.path().join("calls.csv");
    fs::write(
        &manifest,
        "\u{feff}audio,call_id,direction,started_at,agent_channel,agent_id\r\n\
         # comment lines and blank lines are skipped\r\n\
         rec/a.wav,,inbound,2026-11-20T09:30:00+08:00,LEFT,A1\r\n\
         \r\n\
         rec/missing.wav,m1,,,,\r\n\
         rec/b.wav,a,,,,\r\n\
         rec/b.wav,b1,sideways,,,\r\n\
         rec/b.wav,b2,,yesterday,,\r\n\
         rec/b.wav,b3,,,middle,\r\n\
         rec/c.wav,c1,inbound\r\n\
         ,c2,,,,\r\n\
         rec/c.wav,../escape,,,,\r\n\
         rec/c.wav,c3,,,1,A2\r\n",
    )
    .unwrap();
    let planned = read_manifest(&manifest).unwrap();
    assert_eq!(planned.len(), 10);
    let origin = |line: u32| format!("{}:{line}", manifest.display());

    let first = planned[0].as_ref().unwrap();
    assert_eq!(first.call_id, "a", "call id defaults to the file stem");
    assert_eq!(
        first.audio,
        tmp.path().join("rec/a.wav"),
        "audio is relative to the manifest"
    );
    assert_eq!(first.agent_channel, Some(AgentChannel::Left));
    assert_eq!(first.metadata.agent_id.as_deref(), Some("A1"));
    assert_eq!(first.metadata.direction.as_deref(), Some("inbound"));
    assert_eq!(first.origin, origin(3));
    let last = planned[9].as_ref().unwrap();
    assert_eq!(
        (last.call_id.as_str(), last.agent_channel),
        ("c3", Some(AgentChannel::Right))
    );

    let messages = rejections(&planned);
    let expect = [
        (5, "missing.wav does not exist"),
        (6, "duplicate call id `a`"),
        (7, "direction `sideways` is not one of inbound, outbound"),
        (8, "started_at `yesterday` is not an RFC 3339 time"),
        (9, "agent_channel `middle` is not one of left, right, 0, 1"),
        (10, "3 fields, but the header has 6 columns"),
        (11, "no `audio` path"),
        (12, "call id `../escape` starts with `.`"),
    ];
    assert_eq!(messages.len(), expect.len(), "{messages:#?}");
    for ((line, needle), message) in expect.iter().zip(&messages) {
        assert!(
            message.starts_with(&format!("{}: ", origin(*line))) && message.contains(needle),
            "line {line}: expected `{needle}` in {message}"
        );
    }
    // The duplicate names where the id was first used.
    assert!(messages[1].contains(&origin(3)), "{}", messages[1]);
}

#[test]
fn manifest_header_problems_stop_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "typo.csv",
            "call_id,audio,agent_chanel\nx,a.wav,left\n",
            "unknown column `agent_chanel`",
        ),
        (
            "noaudio.csv",
            "call_id,agent_id\nx,A1\n",
            "no `audio` column",
        ),
        (
            "twice.csv",
            "audio,call_id,audio\na.wav,x,b.wav\n",
            "column `audio` appears twice",
        ),
    ];
    for (name, text, needle) in cases {
        let path = tmp.path().join(name);
        fs::write(&path, text).unwrap();
        let err = read_manifest(&path).unwrap_err();
        assert!(
            matches!(err, ManifestError::Header { line: 1, .. }),
            "{name}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("{}:1: ", path.display())),
            "{message}"
        );
        assert!(
            message.contains(needle) && message.contains("agent_channel"),
            "{message}"
        );

        let run = pipeline::run(
            &options(vec![path.clone()], &tmp.path().join("out")),
            &GroundTruthTranscriber::new(),
            &builtin_rubric(),
        );
        assert!(
            matches!(run, Err(PipelineError::Inputs(InputError::Manifest(_)))),
            "{name}"
        );
    }
    let empty = tmp.path().join("empty.csv");
    fs::write(&empty, "\n# nothing\n").unwrap();
    let err = read_manifest(&empty).unwrap_err();
    assert!(matches!(err, ManifestError::Empty { .. }));
    assert!(err.to_string().contains("empty.csv"), "{err}");
}

#[test]
fn folders_are_searched_recursively_in_sorted_order() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("calls");
    for name in [
        "b/2.wav",
        "a/z.WAV",
        "a/sub/y.wav",
        "c.wav",
        "notes.txt",
        "a/readme.md",
    ] {
        touch(&root.join(name));
    }
    touch(&tmp.path().join("single.wav"));
    let planned = collect_inputs(&[tmp.path().join("single.wav"), root.clone()]).unwrap();
    let audio: Vec<PathBuf> = planned
        .iter()
        .map(|p| p.as_ref().unwrap().audio.clone())
        .collect();
    assert_eq!(
        audio,
        [
            tmp.path().join("single.wav"),
            root.join("a/sub/y.wav"),
            root.join("a/z.WAV"),
            root.join("b/2.wav"),
            root.join("c.wav"),
        ]
    );
    let ids: Vec<&str> = planned
        .iter()
        .map(|p| p.as_ref().unwrap().call_id.as_str())
        .collect();
    assert_eq!(ids, ["single", "y", "z", "2", "c"]);

    // A missing input is an error row, not the end of the run.
    let planned = collect_inputs(&[root.join("nope.wav"), root.join("c.wav")]).unwrap();
    assert!(planned[0]
        .as_ref()
        .unwrap_err()
        .message
        .contains("nope.wav does not exist"));
    assert!(planned[1].is_ok());

    // No recordings at all is an error for the run.
    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let err = pipeline::run(
        &options(vec![empty], &tmp.path().join("out")),
        &GroundTruthTranscriber::new(),
        &builtin_rubric(),
    )
    .unwrap_err();
    assert!(matches!(err, PipelineError::NoInputs { .. }));
    assert!(err.to_string().contains("no recordings found"), "{err}");
}

#[test]
fn duplicate_call_ids_across_inputs_keep_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    touch(&tmp.path().join("x/call-1.wav"));
    touch(&tmp.path().join("y/call-1.wav"));
    fs::write(
        tmp.path().join("m.csv"),
        "call_id,audio\ncall-1,x/call-1.wav\n",
    )
    .unwrap();
    let planned = collect_inputs(&[
        tmp.path().join("x"),
        tmp.path().join("y"),
        tmp.path().join("m.csv"),
    ])
    .unwrap();
    assert!(planned[0].is_ok());
    let second = planned[1].as_ref().unwrap_err();
    assert_eq!(second.call_id.as_deref(), Some("call-1"));
    assert!(second
        .message
        .contains(&tmp.path().join("x/call-1.wav").display().to_string()));
    let third = planned[2].as_ref().unwrap_err();
    assert!(third.origin.ends_with("m.csv:2"), "{}", third.origin);
    assert!(third.message.contains("duplicate call id"));
}

#[test]
fn unterminated_quote_is_reported_as_such_with_file_line_and_fix() {
    let tmp = tempfile::tempdir().unwrap();
    touch(&tmp.path().join("a.wav"));
    let manifest = tmp.path().join("calls.csv");
    fs::write(
        &manifest,
        "call_id,audio\nA-1,a.wav\n\"B-2,b.wav\nC-3,c.wav\n",
    )
    .unwrap();
    let planned = read_manifest(&manifest).unwrap();
    let messages = rejections(&planned);
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert!(
        message.starts_with(&format!("{}:3: unterminated quote", manifest.display()))
            && message.contains("add the closing `\"`")
            && !message.contains("fields")
            && !message.contains("contains"),
        "{message}"
    );
    assert!(planned[0].is_ok(), "the row before the quote is read");

    // In the header, it stops the run with the same diagnosis.
    fs::write(&manifest, "call_id,\"audio\na.wav,1\n").unwrap();
    let error = read_manifest(&manifest).unwrap_err().to_string();
    assert!(
        error.contains(&format!("{}", manifest.display()))
            && error.contains("unterminated quote: the `\"` opened on line 1"),
        "{error}"
    );
}

/// The dev call's ground truth as a vendor would deliver it: speakers named.
fn write_vendor_transcript(dir: &Path, name: &str, dev_call: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::copy(
        dev_dir().join(format!("{dev_call}.json")),
        dir.join(format!("{name}.json")),
    )
    .unwrap();
}

fn texts_and_speakers(transcript: &serde_json::Value) -> Vec<(String, String)> {
    transcript["utterances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["speaker"].as_str().unwrap().to_string(),
                u["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn vendor_transcripts_keep_named_speakers_whatever_the_agent_channel() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dev_wavs(&tmp.path().join("calls"));
    let vendor = tmp.path().join("vendor");
    write_vendor_transcript(&vendor, "dev-01", "dev-01");
    // A second vendor file labels its speakers by channel only.
    let mut by_channel = ground_truth("dev-02");
    for u in &mut by_channel.utterances {
        u.speaker = if u.speaker == "agent" { "ch1" } else { "ch0" }.into();
    }
    fs::write(
        vendor.join("dev-02.json"),
        serde_json::to_string(&by_channel).unwrap(),
    )
    .unwrap();
    fs::write(
        tmp.path().join("calls.csv"),
        "call_id,audio,agent_channel\ndev-01,calls/dev-01.wav,right\ndev-02,calls/dev-02.wav,right\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let summary = pipeline::run_vendor(
        &options(vec![tmp.path().join("calls.csv")], &out),
        &pipeline::VendorTranscripts { dir: vendor },
        &builtin_rubric(),
    )
    .unwrap();
    assert_eq!(summary.counts.scored, 2, "{:?}", summary.errors);

    let truth = |call: &str| texts_and_speakers(&serde_json::to_value(ground_truth(call)).unwrap());
    // Named speakers: kept, so the agent's greeting stays the agent's.
    let written = read_json(&out.join("transcripts/dev-01.json"));
    assert_eq!(texts_and_speakers(&written), truth("dev-01"));
    assert_eq!(texts_and_speakers(&written)[0].0, "agent");
    // Channel labels: channel 1 (right) is the agent, as the manifest says.
    let written = read_json(&out.join("transcripts/dev-02.json"));
    assert_eq!(texts_and_speakers(&written), truth("dev-02"));
}

#[test]
fn identical_recordings_each_get_their_own_vendor_transcript() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    fs::create_dir_all(&calls).unwrap();
    for name in ["A", "B"] {
        fs::copy(
            dev_dir().join("dev-01.wav"),
            calls.join(format!("{name}.wav")),
        )
        .unwrap();
    }
    let vendor = tmp.path().join("vendor");
    write_vendor_transcript(&vendor, "A", "dev-01");
    write_vendor_transcript(&vendor, "B", "dev-02");
    let out = tmp.path().join("out");
    let run = || {
        pipeline::run_vendor(
            &options(vec![calls.clone()], &out),
            &pipeline::VendorTranscripts {
                dir: vendor.clone(),
            },
            &builtin_rubric(),
        )
        .unwrap()
    };
    let truth = |call: &str| texts_and_speakers(&serde_json::to_value(ground_truth(call)).unwrap());
    let summary = run();
    assert_eq!(summary.counts.scored, 2, "{:?}", summary.errors);
    assert_eq!(summary.timing.transcript_cache_hits, 0);
    assert_eq!(
        texts_and_speakers(&read_json(&out.join("transcripts/A.json"))),
        truth("dev-01")
    );
    assert_eq!(
        texts_and_speakers(&read_json(&out.join("transcripts/B.json"))),
        truth("dev-02")
    );

    // Unchanged files come from the cache; an edited one is read again.
    write_vendor_transcript(&vendor, "B", "dev-03");
    let summary = run();
    assert_eq!(
        (summary.timing.transcribed, summary.timing.result_cache_hits),
        (1, 1)
    );
    assert_eq!(
        texts_and_speakers(&read_json(&out.join("transcripts/A.json"))),
        truth("dev-01")
    );
    assert_eq!(
        texts_and_speakers(&read_json(&out.join("transcripts/B.json"))),
        truth("dev-03")
    );
}
