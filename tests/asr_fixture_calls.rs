//! The bundled recordings end to end with the real Whisper base model:
//! `callqa run` on `fixtures/audio/calls.csv` (five 8 kHz μ-law stereo
//! calls), the verdicts against the fixtures' labels, promise follow-through
//! across calls (call-01's promise kept by the call-back call-04, call-02's
//! broken by the complaint call-05), and the report built with playable audio.
//! Needs the model (`callqa models fetch base`; `.ci/run` fetches it).

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn callqa(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("callqa runs")
}

#[test]
fn bundled_calls_through_whisper_keep_and_break_their_promises() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let manifest = root.join("fixtures/audio/calls.csv");
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    let output = callqa(&[
        "run",
        "--quiet",
        "--out",
        run_dir.to_str().unwrap(),
        manifest.to_str().unwrap(),
    ]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "callqa run failed (is the model fetched? `callqa models fetch base`): {}",
        String::from_utf8_lossy(&output.stderr)
    );

    // Verdicts against the labels of the fixtures.
    let (mut agree, mut total) = (0, 0);
    let mut disagreements = Vec::new();
    for line in fs::read_to_string(run_dir.join("scorecards.jsonl"))
        .unwrap()
        .lines()
    {
        let card: Value = serde_json::from_str(line).unwrap();
        let id = card["call_id"].as_str().unwrap();
        let truth: Value = serde_json::from_str(
            &fs::read_to_string(root.join(format!("fixtures/audio/{id}.json"))).unwrap(),
        )
        .unwrap();
        for item in card["items"].as_array().unwrap() {
            total += 1;
            let item_id = item["id"].as_str().unwrap();
            if truth["expect"][item_id] == item["verdict"] {
                agree += 1;
            } else {
                disagreements.push(format!("{id} {item_id}: {}", item["reason"]));
            }
        }
    }
    assert_eq!(total, 5 * 14, "every call scored");
    eprintln!("{agree}/{total} verdicts agree; disagreements: {disagreements:#?}");
    assert!(
        agree * 100 >= total * 90,
        "{agree}/{total} verdicts agree: {disagreements:#?}"
    );

    // Promises across calls, from the ASR transcripts.
    let output = callqa(&[
        "promises",
        "--format",
        "json",
        "--as-of",
        "2026-11-23T12:00:00+08:00",
        run_dir.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let promises: Value = serde_json::from_slice(&output.stdout).unwrap();
    let of = |call: &str| {
        promises
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["call_id"] == call)
            .unwrap_or_else(|| panic!("no promise found in {call}: {promises:#}"))
            .clone()
    };
    let kept = of("call-01");
    assert_eq!(kept["status"], "kept", "{kept:#}");
    assert_eq!(kept["follow_up_call_id"], "call-04");
    assert_eq!(kept["deadline"], "2026-11-04T17:00:00+08:00");
    let broken = of("call-02");
    assert_eq!(broken["status"], "broken", "{broken:#}");
    assert_eq!(broken["follow_up_call_id"], "call-05");

    // The report, with the recordings copied as playable PCM WAV.
    let report = tmp.path().join("report");
    let output = callqa(&[
        "report",
        "--out",
        report.to_str().unwrap(),
        run_dir.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let copies: Vec<PathBuf> = fs::read_dir(report.join("audio"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(copies.len(), 5);
    for copy in copies {
        let bytes = fs::read(&copy).unwrap();
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(u16::from_le_bytes([bytes[20], bytes[21]]), 1, "PCM");
        assert_eq!(
            u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]),
            8000,
            "kept at 8 kHz"
        );
    }
    let call_page = fs::read_to_string(report.join("calls/call-01.html")).unwrap();
    assert!(call_page.contains(r#"<audio id="recording""#));
    assert!(
        call_page.contains("call-04.html"),
        "call-01's page links the call-back"
    );
}
