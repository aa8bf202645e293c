//! The run database: versioned migrations that are idempotent and upgrade
//! an older database in place, WAL mode, a clear refusal of databases from a
//! newer callqa or of a damaged file, the audio hash memo noticing changed
//! recordings, and the transcript cache following the audio bytes rather
//! than file names or call ids.

mod pipeline_support;

use std::fs;

use callqa::asr::AsrInfo;
use callqa::pipeline;
use callqa::store::{
    self as cache, DbError as CacheError, ResultKey, RunDb as CacheDb, TranscriptKey, MIGRATIONS,
    SCHEMA_VERSION,
};
use callqa::transcript::Transcript;
use pipeline_support::*;
use rusqlite::Connection;

fn info() -> AsrInfo {
    AsrInfo {
        engine: "e".into(),
        model: "m".into(),
        model_sha256: "s".into(),
        settings: "k=v".into(),
    }
}

fn transcript_key(audio: &str) -> TranscriptKey {
    TranscriptKey {
        audio_sha256: audio.into(),
        asr_key: cache::asr_key(&info(), "agent=left"),
    }
}

fn small_transcript() -> Transcript {
    Transcript::from_json(
        r#"{"call_id":"x","utterances":[{"speaker":"agent","start_ms":0,"end_ms":900,"text":"您好"}]}"#,
        std::path::Path::new("x.json"),
    )
    .unwrap()
}

#[test]
fn migrations_are_versioned_and_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("run.sqlite");
    assert_eq!(MIGRATIONS.last().unwrap().version, SCHEMA_VERSION);

    let db = CacheDb::open(&path).unwrap();
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    let applied = db.applied_migrations().unwrap();
    assert_eq!(
        applied.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    db.put_transcript(
        &transcript_key("a"),
        &info(),
        "agent=left",
        &small_transcript(),
        900,
    )
    .unwrap();
    drop(db);

    // Opening again (and again) changes nothing and keeps the data.
    for _ in 0..2 {
        let db = CacheDb::open(&path).unwrap();
        assert_eq!(db.applied_migrations().unwrap(), applied);
        assert_eq!(db.transcript_count().unwrap(), 1);
        let cached = db.transcript(&transcript_key("a")).unwrap().unwrap();
        assert_eq!(cached.transcript, small_transcript());
        assert_eq!(cached.audio_ms, 900);
    }

    // Migrating an up-to-date connection directly is a no-op too.
    let mut conn = Connection::open(&path).unwrap();
    assert_eq!(
        cache::migrate(&mut conn, &path, SCHEMA_VERSION).unwrap(),
        SCHEMA_VERSION
    );
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, MIGRATIONS.len() as i64);

    // WAL mode, as the module promises.
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn an_older_database_is_upgraded_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("old.sqlite");
    {
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(cache::migrate(&mut conn, &path, 1).unwrap(), 1);
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(tables, ["results", "schema_version", "transcripts"]);
        conn.execute(
            "INSERT INTO results VALUES ('c1', 'a', 'k', 'r', 'm', 'sha', 50.0, 0, '{}', 0)",
            [],
        )
        .unwrap();
    }
    let db = CacheDb::open(&path).unwrap();
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(
        db.result_count().unwrap(),
        1,
        "data from version 1 survives the upgrade"
    );
    assert!(
        db.load_run("/nowhere").unwrap().is_none(),
        "version 2 tables exist"
    );
    let tables: Vec<String> = {
        let conn = Connection::open(&path).unwrap();
        let mut statement = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        let names = statement
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        names
    };
    assert_eq!(
        tables,
        [
            "audio_hashes",
            "finished_calls",
            "item_results",
            "rubric_versions",
            "run_calls",
            "run_log",
            "runs",
            "schema_version",
            "scorecards",
            "transcripts"
        ],
        "the tables of version 5 exist, those it replaced are gone"
    );
    let key = ResultKey {
        call_id: "c1".into(),
        transcript: TranscriptKey {
            audio_sha256: "a".into(),
            asr_key: "k".into(),
        },
        rubric_key: "r".into(),
        metadata_sha256: "m".into(),
    };
    assert_eq!(
        db.result(&key)
            .unwrap()
            .map(|r| r.scorecard_json)
            .as_deref(),
        Some("{}"),
        "a version-1 result is found by its key after the upgrade"
    );
}

#[test]
fn newer_or_damaged_databases_are_refused_with_the_file_named() {
    let tmp = tempfile::tempdir().unwrap();
    let newer = tmp.path().join("newer.sqlite");
    drop(CacheDb::open(&newer).unwrap());
    Connection::open(&newer)
        .unwrap()
        .execute(
            "INSERT INTO schema_version VALUES (99, 'from the future', 0)",
            [],
        )
        .unwrap();
    let err = CacheDb::open(&newer).err().unwrap();
    assert!(
        matches!(err, CacheError::TooNew { found: 99, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("newer.sqlite") && message.contains("newer callqa"),
        "{message}"
    );

    let damaged = tmp.path().join("damaged.sqlite");
    fs::write(&damaged, vec![0x5a; 8192]).unwrap();
    let message = CacheDb::open(&damaged).err().unwrap().to_string();
    assert!(
        message.contains("damaged.sqlite") && message.contains("delete"),
        "{message}"
    );

    // A run given such a database fails as a whole, naming it.
    let calls = tmp.path().join("calls");
    fs::create_dir_all(&calls).unwrap();
    write_silent_wav(&calls.join("a.wav"), 1);
    let mut opts = options(vec![calls], &tmp.path().join("out"));
    opts.db_path = Some(damaged);
    let err = pipeline::run(&opts, &GroundTruthTranscriber::new(), &builtin_rubric()).unwrap_err();
    assert!(err.to_string().contains("damaged.sqlite"), "{err}");
}

#[test]
fn audio_hashes_notice_changed_recordings() {
    let tmp = tempfile::tempdir().unwrap();
    let db = CacheDb::open(&tmp.path().join("run.sqlite")).unwrap();
    let audio = tmp.path().join("a.wav");
    fs::write(&audio, b"first version").unwrap();
    let first = db.audio_sha256(&audio).unwrap();
    assert_eq!(first, cache::sha256_file(&audio).unwrap());
    assert_eq!(db.audio_sha256(&audio).unwrap(), first);

    // Same length, new content, and the old modification time put back
    // (as `cp -p` or `touch -r` would): still noticed.
    let mtime = fs::metadata(&audio).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&audio, b"other version").unwrap();
    let file = fs::File::options().write(true).open(&audio).unwrap();
    file.set_modified(mtime).unwrap();
    drop(file);
    assert_eq!(fs::metadata(&audio).unwrap().modified().unwrap(), mtime);
    let second = db.audio_sha256(&audio).unwrap();
    assert_ne!(first, second);
    assert_eq!(second, cache::sha256_file(&audio).unwrap());

    let err = db.audio_sha256(&tmp.path().join("gone.wav")).unwrap_err();
    assert!(
        matches!(err, CacheError::Audio { .. }) && err.to_string().contains("gone.wav"),
        "{err}"
    );
}

#[test]
fn cache_keys_separate_what_changes_the_output() {
    let base = info();
    let key = cache::asr_key(&base, "agent=left");
    assert_eq!(key, cache::asr_key(&base.clone(), "agent=left"));
    assert_ne!(key, cache::asr_key(&base, "agent=right"));
    for changed in [
        AsrInfo {
            engine: "e2".into(),
            ..base.clone()
        },
        AsrInfo {
            model_sha256: "s2".into(),
            ..base.clone()
        },
        AsrInfo {
            settings: "k=w".into(),
            ..base.clone()
        },
    ] {
        assert_ne!(key, cache::asr_key(&changed, "agent=left"), "{changed:?}");
    }
    // No ambiguity from joining fields.
    assert_ne!(
        cache::sha256_lines(&["ab", "c"]),
        cache::sha256_lines(&["a", "bc"])
    );

    // The rubric key follows the rubric text and its dictionaries.
    let tmp = tempfile::tempdir().unwrap();
    let standard = builtin_rubric();
    let same = edited_rubric(
        &tmp.path().join("same"),
        "pass_score = 80",
        "pass_score = 80",
    );
    let lenient = edited_rubric(
        &tmp.path().join("lenient"),
        "pass_score = 80",
        "pass_score = 30",
    );
    assert_eq!(cache::rubric_key(&standard), cache::rubric_key(&same));
    assert_ne!(cache::rubric_key(&standard), cache::rubric_key(&lenient));
    fs::write(
        tmp.path().join("same/cs-dict.txt"),
        format!("{}\n新词 5 n\n", callqa::rubric::BUILTIN_DICTIONARY),
    )
    .unwrap();
    let new_dictionary =
        callqa::rubric::load_and_compile(Some(&tmp.path().join("same/edited.toml"))).unwrap();
    assert_ne!(
        cache::rubric_key(&standard),
        cache::rubric_key(&new_dictionary)
    );
}

#[test]
fn the_transcript_cache_follows_the_audio_bytes_not_names() {
    let tmp = tempfile::tempdir().unwrap();
    let first_dir = tmp.path().join("first");
    fs::create_dir_all(&first_dir).unwrap();
    fs::copy(dev_dir().join("dev-03.wav"), first_dir.join("dev-03.wav")).unwrap();
    let out = tmp.path().join("out");
    let rubric = builtin_rubric();
    pipeline::run(
        &options(vec![first_dir], &out),
        &GroundTruthTranscriber::new(),
        &rubric,
    )
    .unwrap();

    // The same recording, moved and renamed, under another call id.
    let moved = tmp.path().join("archive/2026/renamed.wav");
    fs::create_dir_all(moved.parent().unwrap()).unwrap();
    fs::copy(dev_dir().join("dev-03.wav"), &moved).unwrap();
    fs::write(
        tmp.path().join("m.csv"),
        "call_id,audio,agent_id\nCALL-9,archive/2026/renamed.wav,A-5\n",
    )
    .unwrap();
    let transcriber = GroundTruthTranscriber::new();
    let summary = pipeline::run(
        &options(vec![tmp.path().join("m.csv")], &out),
        &transcriber,
        &rubric,
    )
    .unwrap();
    assert_eq!(transcriber.total(), 0);
    assert_eq!(summary.timing.transcript_cache_hits, 1);
    let written = read_json(&out.join("transcripts/CALL-9.json"));
    assert_eq!(written["call_id"], "CALL-9");
    assert_eq!(written["agent_id"], "A-5");
    assert_eq!(written["audio"], moved.display().to_string());
    let card = &read_jsonl(&out.join("scorecards.jsonl"))[0];
    assert_eq!(
        (card["call_id"].as_str(), card["agent_id"].as_str()),
        (Some("CALL-9"), Some("A-5"))
    );

    // A different agent_channel is a different transcript: ASR runs again.
    fs::write(
        tmp.path().join("m.csv"),
        "call_id,audio,agent_channel\nCALL-9,archive/2026/renamed.wav,right\n",
    )
    .unwrap();
    let transcriber = GroundTruthTranscriber::new();
    let summary = pipeline::run(
        &options(vec![tmp.path().join("m.csv")], &out),
        &transcriber,
        &rubric,
    )
    .unwrap();
    assert!(summary.errors.is_empty(), "{:?}", summary.errors);
    assert_eq!(transcriber.total(), 2);
}

#[test]
fn version_4_keys_the_databases_own_folder_relative_to_it() {
    let tmp = tempfile::tempdir().unwrap();
    let home = fs::canonicalize(tmp.path()).unwrap().join("shared");
    fs::create_dir_all(&home).unwrap();
    let path = home.join("runs.sqlite");
    let elsewhere = "/srv/calls/out";
    {
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(cache::migrate(&mut conn, &path, 3).unwrap(), 3);
        for folder in [home.to_str().unwrap(), elsewhere] {
            conn.execute(
                "INSERT INTO runs (out_dir, asr_json, finished_unix) VALUES (?1, NULL, 1)",
                [folder],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO run_log (out_dir, command, rubric_sha256, callqa_version, started_unix) \
                 VALUES (?1, 'run', 'r', '0', 1)",
                [folder],
            )
            .unwrap();
        }
    }
    let db = CacheDb::open(&path).unwrap();
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(db.load_run(cache::THIS_FOLDER_KEY).unwrap().is_some());
    assert!(db.load_run(home.to_str().unwrap()).unwrap().is_none());
    assert!(
        db.load_run(elsewhere).unwrap().is_some(),
        "a folder the database does not live in keeps its absolute key"
    );
    assert_eq!(
        cache::folder_key(&home, &path).unwrap(),
        cache::THIS_FOLDER_KEY
    );
    assert_eq!(
        cache::folder_key(tmp.path(), &path).unwrap(),
        fs::canonicalize(tmp.path()).unwrap().to_str().unwrap()
    );
}
