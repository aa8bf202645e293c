//! Folders of inputs are walked once (issue 10, defect 2): symlink loops
//! (`ln -s . dir/a`, `ln -s .. dir/b`, a link to a sibling folder) end, a
//! file reached by two paths is listed once, a dangling link is an error row
//! that says so, for `score` (transcripts) and `run` (recordings), through
//! the library and the binary. Every walk runs under a deadline, so a
//! regression fails instead of hanging the test suite.

mod pipeline_support;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use pipeline_support::*;
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `f` on another thread; fails the test if it takes longer than
/// [`DEADLINE`] (the old walkers recursed through loops until memory ran out).
fn within_deadline<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        let _ = send.send(f());
    });
    receive.recv_timeout(DEADLINE).unwrap_or_else(|_| {
        panic!("{what} did not finish within {DEADLINE:?}: a walk that never ends")
    })
}

/// Runs the binary; kills it and fails after [`DEADLINE`].
fn callqa(args: &[&str]) -> Output {
    callqa_as(env!("CARGO_BIN_EXE_callqa"), args)
}

/// Runs `program` (callqa itself, or a wrapper that starts it) with a
/// deadline, so a walk that loops fails the test instead of hanging it.
fn callqa_as(program: &str, args: &[&str]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("callqa {args:?} did not finish within {DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A transcript with both sides speaking.
fn write_transcript(path: &Path, call_id: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(
        path,
        format!(
            r#"{{"call_id":"{call_id}","utterances":[
                {{"speaker":"agent","text":"您好，请问有什么可以帮您？"}},
                {{"speaker":"customer","text":"我想查一下订单。"}},
                {{"speaker":"agent","text":"好的，感谢您的来电，再见。"}}]}}"#
        ),
    )
    .unwrap();
}

/// calls/{a.json, sub/b.json} + other/c.json, with every kind of link:
/// calls/self → ., calls/sub/up → .., calls/sibling → ../other,
/// calls/z-same.json → a.json, calls/gone.json → nowhere.json.
fn linked_tree(root: &Path) -> PathBuf {
    let calls = root.join("calls");
    write_transcript(&calls.join("a.json"), "a");
    write_transcript(&calls.join("sub/b.json"), "b");
    write_transcript(&root.join("other/c.json"), "c");
    symlink(".", calls.join("self")).unwrap();
    symlink("..", calls.join("sub/up")).unwrap();
    symlink("../other", calls.join("sibling")).unwrap();
    symlink("a.json", calls.join("z-same.json")).unwrap();
    symlink("nowhere.json", calls.join("gone.json")).unwrap();
    calls
}

#[test]
fn transcript_folders_with_loops_list_each_file_once() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = linked_tree(tmp.path());
    let inputs = vec![calls.clone(), calls.join("self")];
    let files = within_deadline("collect_inputs", move || {
        callqa::transcript::collect_inputs(&inputs, "json").unwrap()
    });
    assert_eq!(
        files,
        [
            calls.join("a.json"),
            calls.join("gone.json"),
            calls.join("sibling/c.json"),
            calls.join("sub/b.json"),
        ]
    );
}

#[test]
fn score_walks_a_looping_folder_once_and_names_the_dangling_link() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = linked_tree(tmp.path());
    let out = callqa(&["score", "-f", "jsonl", calls.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ids: Vec<String> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["call_id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(ids, ["a", "c", "b"], "{stdout}\n{stderr}");
    assert!(
        stderr.contains("gone.json: is a symbolic link to nowhere.json, which does not exist"),
        "{stderr}"
    );
    assert!(
        stderr.contains("共 4 通电话") && stderr.contains("出错 1 通"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(2), "an error row makes exit code 2");
}

#[test]
fn run_walks_a_looping_recordings_folder_once() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    fs::create_dir_all(calls.join("more")).unwrap();
    let vendor = tmp.path().join("vendor");
    fs::create_dir_all(&vendor).unwrap();
    for (call, dir) in [("dev-01", calls.clone()), ("dev-02", calls.join("more"))] {
        fs::copy(
            dev_dir().join(format!("{call}.wav")),
            dir.join(format!("{call}.wav")),
        )
        .unwrap();
        fs::copy(
            dev_dir().join(format!("{call}.json")),
            vendor.join(format!("{call}.json")),
        )
        .unwrap();
    }
    symlink(".", calls.join("loop")).unwrap();
    symlink("..", calls.join("more/up")).unwrap();
    symlink("more", calls.join("again")).unwrap();
    symlink("dev-01.wav", calls.join("zz-same.wav")).unwrap();
    symlink("missing.wav", calls.join("gone.wav")).unwrap();

    // The library: the plan lists each recording once, the dangling link as
    // a rejected input.
    let inputs = vec![calls.clone()];
    let planned = within_deadline("pipeline collect_inputs", move || {
        callqa::pipeline::collect_inputs(&inputs).unwrap()
    });
    let listed: Vec<String> = planned
        .iter()
        .map(|p| match p {
            Ok(call) => call.audio.display().to_string(),
            Err(rejected) => format!("rejected: {}", rejected.message),
        })
        .collect();
    assert_eq!(listed.len(), 3, "{listed:#?}");
    assert_eq!(
        listed[0],
        calls.join("again/dev-02.wav").display().to_string()
    );
    assert_eq!(listed[1], calls.join("dev-01.wav").display().to_string());
    assert!(
        listed[2].contains("gone.wav: is a symbolic link to missing.wav, which does not exist"),
        "{}",
        listed[2]
    );

    // The binary, with vendor transcripts (no Whisper model needed).
    let out_dir = tmp.path().join("out");
    let out = callqa(&[
        "run",
        "--quiet",
        "--out",
        out_dir.to_str().unwrap(),
        "--transcripts",
        vendor.to_str().unwrap(),
        calls.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let errors = read_jsonl(&out_dir.join("errors.jsonl"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("is a symbolic link to missing.wav"));
    let summary = read_json(&out_dir.join("summary.json"));
    assert_eq!(summary["counts"]["scored"], 2, "{summary}");
    assert_eq!(summary["counts"]["calls"], 3, "{summary}");
}

#[test]
fn an_unreadable_folder_is_named_with_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    write_transcript(&calls.join("a.json"), "a");
    let locked = calls.join("locked");
    write_transcript(&locked.join("b.json"), "b");
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let out = if fs::read_dir(&locked).is_ok() {
        // root reads any folder whatever its mode (CI runs as root): run
        // callqa as the unprivileged user `nobody` instead, which must be
        // able to reach the other files.
        // The checkout may sit in a folder `nobody` cannot enter (a 0700
        // temporary folder): run a copy of the binary from the test's own.
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let copy = tmp.path().join("callqa");
        fs::copy(env!("CARGO_BIN_EXE_callqa"), &copy).unwrap();
        let bin = copy.to_str().unwrap();
        callqa_as(
            "setpriv",
            &[
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                bin,
                "score",
                calls.to_str().unwrap(),
            ],
        )
    } else {
        callqa(&["score", calls.to_str().unwrap()])
    };
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&locked.display().to_string())
            && stderr.contains("cannot list the folder")
            && stderr.contains("chmod"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(2));
}
