//! Kill -9 soak: a batch of 48 calls run by the `callqa` binary
//! (`run --transcripts`, the vendor-transcript path: the real pipeline from
//! hashing and decoding the audio to the reports, without Whisper's
//! minutes) is killed with SIGKILL 20 times, each time resumed; at the end
//! every call is scored exactly once in the run database, SQLite's
//! integrity check passes after every kill, and every output file equals,
//! byte for byte, that of an uninterrupted run in another folder.
//!
//! Where a kill lands: at a random (seeded) moment the child is stopped
//! (SIGSTOP), and what each of its threads is doing is read from /proc —
//! the system call and the file it is on (fsync of `callqa.sqlite-wal` is a
//! database commit, a write to `transcripts/.x.json.tmp` is output), or,
//! for a thread in user space, the function its program counter is in
//! (from `nm`; `callqa::rubric::…` is scoring, `callqa::audio::…` decoding).
//! Each kill aims at one phase — transcription, scoring, database commit,
//! output writing (per-call transcripts), the reports — and the child
//! is let run a few random milliseconds more until it is there; then
//! SIGKILL. The log of where each kill landed is printed (run with
//! `--nocapture` to read it); the test checks that the kills caught at
//! least one per-call phase and the reports (which per-call phases a kill
//! can catch depends on the machine's load).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const CALLQA: &str = env!("CARGO_BIN_EXE_callqa");
const CALLS: usize = 48;
const KILLS: usize = 20;
const SEED: u64 = 0x5EED_CA11_2026_1206;

/// xorshift64*: a seeded sequence of kill moments, no dependency needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn dev_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/audio/dev");
    assert!(
        dir.join("dev-01.wav").is_file(),
        "the dev recordings are missing from {}; this test needs them",
        dir.display()
    );
    dir
}

/// 40 recordings (the four dev calls, each copy with one audio byte
/// changed so that no two files have the same hash) and their vendor
/// transcripts.
fn make_batch(root: &Path) -> (PathBuf, PathBuf) {
    let calls = root.join("calls");
    let vendor = root.join("vendor");
    fs::create_dir_all(&calls).unwrap();
    fs::create_dir_all(&vendor).unwrap();
    for n in 0..CALLS {
        let dev = format!("dev-0{}", n % 4 + 1);
        let mut wav = fs::read(dev_dir().join(format!("{dev}.wav"))).unwrap();
        let at = wav.len() - 1000 - n;
        wav[at] ^= 0x01;
        let id = format!("s{:02}", n + 1);
        fs::write(calls.join(format!("{id}.wav")), wav).unwrap();
        let mut truth: Value = serde_json::from_str(
            &fs::read_to_string(dev_dir().join(format!("{dev}.json"))).unwrap(),
        )
        .unwrap();
        truth["call_id"] = id.clone().into();
        fs::write(vendor.join(format!("{id}.json")), truth.to_string()).unwrap();
    }
    (calls, vendor)
}

fn spawn_run(calls: &Path, vendor: &Path, out: &Path, log: &Path) -> Child {
    Command::new(CALLQA)
        .args(["run", "-j", "2", "--transcripts"])
        .arg(vendor)
        .arg("-o")
        .arg(out)
        .arg(calls)
        .stdout(Stdio::null())
        .stderr(fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    // The child may have exited just before; the caller sees that next.
    let _ = status;
}

/// The program's functions by address (relative to its load address).
struct Symbols(Vec<(u64, String)>);

impl Symbols {
    fn load(exe: &str) -> Symbols {
        let mut table = Vec::new();
        if let Ok(output) = Command::new("nm")
            .args(["--defined-only", "-C", exe])
            .output()
        {
            for line in String::from_utf8_lossy(&output.stdout).lines() {
                let mut parts = line.splitn(3, ' ');
                let (Some(addr), Some(kind), Some(name)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                if matches!(kind, "T" | "t" | "W" | "w") {
                    if let Ok(addr) = u64::from_str_radix(addr, 16) {
                        table.push((addr, name.to_string()));
                    }
                }
            }
        }
        table.sort();
        Symbols(table)
    }

    fn name(&self, offset: u64) -> Option<&str> {
        let i = self.0.partition_point(|(a, _)| *a <= offset);
        i.checked_sub(1).map(|i| self.0[i].1.as_str())
    }
}

/// The phase a function belongs to.
fn phase_of_function(name: &str) -> &'static str {
    let has = |s: &str| name.contains(s);
    if has("callqa::rubric")
        || has("callqa::score")
        || has("callqa::text")
        || has("jieba")
        || has("aho_corasick")
        || has("regex")
    {
        "scoring"
    } else if has("callqa::audio") || has("sha2") || has("callqa::asr") || has("callqa::transcript")
    {
        "transcription"
    } else if has("sqlite3") || has("rusqlite") || has("callqa::store") {
        "database commit"
    } else if has("write_reports") || has("callqa::report") {
        "reports"
    } else if has("pipeline::output") {
        "output writing"
    } else {
        "other"
    }
}

/// What one thread of the stopped child is doing: (phase, detail).
fn thread_activity(
    pid: u32,
    tid: &str,
    base: u64,
    symbols: &Symbols,
    out: &Path,
) -> (String, String) {
    let task = format!("/proc/{pid}/task/{tid}");
    let comm = fs::read_to_string(format!("{task}/comm")).unwrap_or_default();
    let comm = comm.trim();
    let syscall = fs::read_to_string(format!("{task}/syscall")).unwrap_or_default();
    let fields: Vec<&str> = syscall.split_whitespace().collect();
    let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or(0);
    match fields.first().copied() {
        Some("-1") if fields.len() >= 3 => {
            let pc = hex(fields[2]);
            let name = symbols.name(pc.wrapping_sub(base)).unwrap_or("?");
            let mut phase = if pc >= base {
                phase_of_function(name)
            } else {
                "other"
            };
            // The main thread compiles the rubric (jieba, patterns) before
            // the workers start: that is start-up, not scoring a call.
            if comm == "callqa" && matches!(phase, "scoring" | "transcription") {
                phase = "start-up";
            }
            let short: String = name.chars().take(90).collect();
            (phase.to_string(), format!("{comm}: {short}"))
        }
        Some(nr) if fields.len() >= 2 => {
            let nr: i64 = nr.parse().unwrap_or(-1);
            // x86-64 numbers of the calls that name a file by descriptor.
            let call = match nr {
                0 => "read",
                1 => "write",
                17 => "pread64",
                18 => "pwrite64",
                74 => "fsync",
                75 => "fdatasync",
                202 => return ("waiting".into(), format!("{comm}: futex")),
                other => return ("other".into(), format!("{comm}: syscall {other}")),
            };
            let fd = hex(fields[1]);
            let file = fs::read_link(format!("/proc/{pid}/fd/{fd}"))
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let in_out = Path::new(&file)
                .strip_prefix(out)
                .ok()
                .map(|p| p.display().to_string());
            let phase = match in_out.as_deref() {
                Some(name) if name.starts_with("callqa.sqlite") => {
                    if matches!(call, "read" | "pread64") {
                        "database read"
                    } else {
                        "database commit"
                    }
                }
                Some("callqa.lock") => "other",
                Some(name) if name.starts_with("transcripts") => "output writing",
                // The folder itself (its fsync) or a report's temporary file.
                Some(_) => "reports",
                None if file.ends_with(".wav") || file.contains("/vendor/") => "transcription",
                None => "other",
            };
            (phase.to_string(), format!("{comm}: {call}({file})"))
        }
        _ => ("other".into(), format!("{comm}: {}", syscall.trim())),
    }
}

/// Waits until every thread of `pid` is stopped; false if it is gone.
fn wait_stopped(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
            return false;
        };
        let all = tasks.flatten().all(|t| {
            let stat = fs::read_to_string(t.path().join("stat")).unwrap_or_default();
            // The state follows the command name in parentheses.
            stat.rsplit(')').next().is_some_and(|rest| {
                matches!(
                    rest.trim_start().chars().next(),
                    Some('T' | 't' | 'Z' | 'X')
                )
            })
        });
        if all {
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    false
}

/// The load address of the program in `pid`.
fn load_base(pid: u32) -> u64 {
    let exe = fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    let maps = fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    maps.lines()
        .find(|l| {
            l.ends_with(&*exe.to_string_lossy()) && l.split_whitespace().nth(2) == Some("00000000")
        })
        .and_then(|l| l.split('-').next())
        .and_then(|a| u64::from_str_radix(a, 16).ok())
        .unwrap_or(0)
}

/// Per-thread activities of the stopped child.
fn inspect(pid: u32, symbols: &Symbols, out: &Path) -> Vec<(String, String)> {
    let base = load_base(pid);
    let mut tids: Vec<String> = fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    tids.sort();
    tids.iter()
        .map(|tid| thread_activity(pid, tid, base, symbols, out))
        .collect()
}

fn integrity(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap()
}

/// Every file under `dir` (relative path → bytes); `summary.json` without
/// the fields that differ between any two runs (`timing`, and `out_dir`,
/// the folder's own name).
fn outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            if path.is_dir() {
                stack.push(path);
            } else if name.starts_with("callqa.sqlite") || name == "callqa.lock" {
                // The database is checked by query; the lock file is the lock's.
            } else if name == "summary.json" {
                let mut summary: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
                let map = summary.as_object_mut().unwrap();
                map.remove("timing");
                map.remove("out_dir");
                files.insert(name, serde_json::to_vec_pretty(&summary).unwrap());
            } else {
                files.insert(name, fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// (rows, distinct call ids) of a table of the run database.
fn scored(db: &Path, table: &str) -> (i64, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        &format!("SELECT COUNT(*), COUNT(DISTINCT call_id) FROM {table}"),
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .unwrap()
}

#[test]
fn twenty_kills_at_random_moments_lose_nothing_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (calls, vendor) = make_batch(tmp.path());
    let symbols = Symbols::load(CALLQA);
    let mut rng = Rng(SEED);

    // The uninterrupted run, in another folder.
    let reference = tmp.path().join("reference");
    let started = Instant::now();
    let status = spawn_run(&calls, &vendor, &reference, &tmp.path().join("ref.log"))
        .wait()
        .unwrap();
    let reference_ms = started.elapsed().as_millis();
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "reference run: {status}"
    );

    // 20 kills. Kills 1-16 aim at the per-call phases in turn; 17-20 at the
    // reports, which are written once all calls are done.
    let out = tmp.path().join("out");
    let db = out.join("callqa.sqlite");
    let targets = [
        "transcription",
        "scoring",
        "database commit",
        "output writing",
    ];
    let mut log = Vec::new();
    let mut landed: BTreeSet<String> = BTreeSet::new();
    let mut finished_runs = 0;
    let deadline = Instant::now() + Duration::from_secs(240);
    for kill in 0..KILLS {
        // Once a run has finished by itself every call is done, and the
        // per-call phases of transcription, scoring and transcript writing
        // no longer happen: what a resumed run still does is commit each
        // call's record and write the reports.
        let target = match (kill < 16, finished_runs > 0) {
            (true, false) => targets[kill % 4],
            (true, true) if kill % 2 == 0 => "database commit",
            _ => "reports",
        };
        let mut samples = 0;
        'attempt: loop {
            let child_log = tmp.path().join(format!("kill-{kill:02}.log"));
            let mut child = spawn_run(&calls, &vendor, &out, &child_log);
            let pid = child.id();
            let spawned = Instant::now();
            std::thread::sleep(Duration::from_millis(rng.below(40)));
            loop {
                if child.try_wait().unwrap().is_some() {
                    // The run finished before a kill found its moment.
                    finished_runs += 1;
                    continue 'attempt;
                }
                signal(pid, "-STOP");
                if !wait_stopped(pid) {
                    finished_runs += 1;
                    let _ = child.wait();
                    continue 'attempt;
                }
                samples += 1;
                let activities = inspect(pid, &symbols, &out);
                let hit = activities.iter().any(|(phase, _)| phase == target);
                // Never more than 250 looks per kill, nor past the deadline:
                // then the kill lands wherever the run is.
                if hit || samples >= 250 || Instant::now() > deadline {
                    let _ = child.kill(); // SIGKILL, while stopped
                    child.wait().unwrap();
                    let at_ms = spawned.elapsed().as_millis();
                    let phases: BTreeSet<String> = activities
                        .iter()
                        .map(|(p, _)| p.clone())
                        .filter(|p| p != "waiting" && p != "other")
                        .collect();
                    landed.extend(phases.iter().cloned());
                    let busy: Vec<&str> = activities
                        .iter()
                        .filter(|(p, _)| p != "waiting")
                        .map(|(_, d)| d.as_str())
                        .collect();
                    log.push(format!(
                        "kill {:2} aimed at {target:<15} landed {at_ms:>5} ms into the run, after {samples} look(s): {phases:?} — {}",
                        kill + 1,
                        busy.join(" | ")
                    ));
                    break 'attempt;
                }
                signal(pid, "-CONT");
                std::thread::sleep(Duration::from_micros(200 + rng.below(3000)));
            }
        }
        // The database survives every kill.
        if db.exists() {
            assert_eq!(integrity(&db), "ok", "after kill {}", kill + 1);
        }
    }

    // Resume to the end.
    let status = spawn_run(&calls, &vendor, &out, &tmp.path().join("final.log"))
        .wait()
        .unwrap();
    let final_log = fs::read_to_string(tmp.path().join("final.log")).unwrap();
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "resume: {status}\n{final_log}"
    );

    println!("uninterrupted run: {reference_ms} ms; runs that finished before their kill: {finished_runs}");
    for line in &log {
        println!("{line}");
    }
    println!("final run: {}", final_log.lines().last().unwrap_or(""));

    // Every call scored exactly once, the database intact.
    assert_eq!(integrity(&db), "ok");
    assert_eq!(scored(&db, "scorecards"), (CALLS as i64, CALLS as i64));
    assert_eq!(
        scored(&db, "finished_calls").1,
        CALLS as i64,
        "every call recorded as finished (by one run or several)"
    );
    let transcripts: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM transcripts", [], |row| row.get(0))
        .unwrap();
    assert_eq!(transcripts, CALLS as i64, "each transcript stored once");

    // Byte-identical outputs, and nothing else (no temporary file left).
    let got = outputs(&out);
    let want = outputs(&reference);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (name, bytes) in &want {
        assert!(
            got[name] == *bytes,
            "{name} differs from the uninterrupted run"
        );
    }
    assert_eq!(want.len(), CALLS + 4, "transcripts + 4 report files");

    // The kills landed in different phases. Which ones a kill can catch
    // depends on the machine's load (on a busy machine a run spends its
    // time in transcription and fsync, and scoring takes ~1 % of a call), so
    // the test asks for a per-call phase and the reports, and prints the rest.
    assert_eq!(log.len(), KILLS);
    let covered: Vec<&str> = [
        "transcription",
        "scoring",
        "database commit",
        "output writing",
    ]
    .into_iter()
    .filter(|p| landed.contains(*p))
    .collect();
    println!("per-call phases the kills caught: {covered:?}");
    assert!(
        !covered.is_empty() && landed.contains("reports"),
        "kills landed only in {landed:?}:\n{}",
        log.join("\n")
    );
}
