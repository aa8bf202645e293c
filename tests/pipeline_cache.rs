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

/// `(table, column)` of every text column in the database.
fn text_columns(conn: &Connection) -> Vec<(String, String)> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut columns = Vec::new();
    for table in tables {
        let mut statement = conn
            .prepare(&format!(
                "SELECT name, type FROM pragma_table_info('{table}')"
            ))
            .unwrap();
        let rows: Vec<(String, String)> = statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (column, kind) in rows {
            if kind == "TEXT" {
                columns.push((table.clone(), column));
            }
        }
    }
    columns
}

/// Rows (in any table, any text column) whose text contains `needle`, as
/// `table.column` once per row.
fn rows_containing(conn: &Connection, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (table, column) in text_columns(conn) {
        let n: i64 = conn
            .query_row(
                &format!("SELECT COUNT(*) FROM \"{table}\" WHERE instr(\"{column}\", ?1) > 0"),
                [needle],
                |r| r.get(0),
            )
            .unwrap();
        for _ in 0..n {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

#[test]
fn each_scorecard_and_each_transcript_is_stored_once() {
    let tmp = tempfile::tempdir().unwrap();
    let calls = tmp.path().join("calls");
    copy_dev_wavs(&calls);
    let out = tmp.path().join("out");
    let rubric = builtin_rubric();
    let summary = pipeline::run(
        &options(vec![calls.clone()], &out),
        &GroundTruthTranscriber::new(),
        &rubric,
    )
    .unwrap();
    assert_eq!(summary.counts.scored, 4, "{:?}", summary.errors);
    // Again: every result found by its key, nothing stored a second time.
    let summary = pipeline::run(
        &options(vec![calls], &out),
        &GroundTruthTranscriber::new(),
        &rubric,
    )
    .unwrap();
    assert_eq!(summary.timing.result_cache_hits, 4);

    let db_path = out.join(pipeline::DB_FILE_NAME);
    let db = CacheDb::open(&db_path).unwrap();
    assert_eq!(db.check_integrity().unwrap(), Vec::<String>::new());
    assert_eq!(
        (db.result_count().unwrap(), db.transcript_count().unwrap()),
        (4, 4)
    );
    drop(db);
    let conn = Connection::open(&db_path).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(
        count("SELECT COUNT(*) FROM finished_calls"),
        8,
        "4 calls × 2 runs"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM item_results"),
        4 * rubric.items.len() as i64
    );
    for call in DEV_CALLS {
        // A scorecard's reasons (both languages) are in one row: its own.
        let card_json: String = conn
            .query_row(
                "SELECT scorecard_json FROM scorecards WHERE call_id = ?1",
                [call],
                |r| r.get(0),
            )
            .unwrap();
        let card: callqa::score::Scorecard = serde_json::from_str(&card_json).unwrap();
        // An utterance is in one row: the transcript's (those quoted as
        // evidence are in the scorecard too, as its evidence, and a rubric
        // may cite a whole sentence as an example).
        let truth = ground_truth(call);
        let unquoted: Vec<&str> = truth
            .utterances
            .iter()
            .map(|u| u.text.as_str())
            .filter(|t| {
                t.chars().count() >= 6 && !card_json.contains(t) && !rubric.source.text.contains(t)
            })
            .collect();
        assert!(!unquoted.is_empty(), "{call}: every utterance quoted");
        for text in unquoted {
            assert_eq!(
                rows_containing(&conn, text),
                ["transcripts.transcript_json"],
                "{call}: {text}"
            );
        }
        let item = card.items.iter().max_by_key(|i| i.reason.len()).unwrap();
        assert_eq!(
            rows_containing(&conn, &item.reason),
            ["scorecards.scorecard_json"],
            "{call}: {}",
            item.reason
        );
        if !item.reason_en.is_empty() {
            assert_eq!(
                rows_containing(&conn, &item.reason_en),
                ["scorecards.scorecard_json"],
                "{call}: the English reason is kept, once"
            );
        }
    }
    // Bytes: the scorecard JSON stored is each scorecard once.
    let stored_bytes = count("SELECT SUM(length(CAST(scorecard_json AS BLOB))) FROM scorecards");
    let written: i64 = read_jsonl(&out.join("scorecards.jsonl")).len() as i64;
    assert_eq!(written, 4);
    let own_bytes: i64 = DEV_CALLS
        .iter()
        .map(|call| {
            let json: String = conn
                .query_row(
                    "SELECT scorecard_json FROM scorecards WHERE call_id = ?1",
                    [call],
                    |r| r.get(0),
                )
                .unwrap();
            json.len() as i64
        })
        .sum();
    assert_eq!(stored_bytes, own_bytes);
}

#[test]
fn a_folder_run_twice_over_different_calls_reports_both_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let wavs = copy_dev_wavs(&tmp.path().join("calls"));
    let out = tmp.path().join("out");
    let rubric = builtin_rubric();
    for batch in [&wavs[..2], &wavs[2..]] {
        let summary = pipeline::run(
            &options(batch.to_vec(), &out),
            &GroundTruthTranscriber::new(),
            &rubric,
        )
        .unwrap();
        assert_eq!(summary.counts.scored, 2, "{:?}", summary.errors);
    }
    let dataset = cache::load(std::slice::from_ref(&out), &Default::default()).unwrap();
    let ids: Vec<&str> = dataset
        .calls
        .iter()
        .map(|c| c.transcript.call_id.as_str())
        .collect();
    assert_eq!(ids, DEV_CALLS, "both runs' calls are reported");
    assert!(dataset.unscored.is_empty());
    let runs: Vec<(&str, usize)> = dataset
        .sources
        .iter()
        .map(|s| (s.command.as_str(), s.calls))
        .collect();
    assert_eq!(runs, [("run", 2), ("run", 2)], "both runs are named");
    assert!(dataset.sources[0].run_id < dataset.sources[1].run_id);
    assert!(dataset.sources.iter().all(|s| s.finished_unix.is_some()));
    for call in &dataset.calls {
        let run = &dataset.sources[call.source];
        assert_eq!(call.run_id, run.run_id);
        let second = ["dev-03", "dev-04"].contains(&call.transcript.call_id.as_str());
        assert_eq!(
            call.source,
            usize::from(second),
            "{}",
            call.transcript.call_id
        );
    }

    // A rescore covers the last run's calls; the first run's stay shown,
    // each call from the latest run that scored it.
    let mut rescore = pipeline::RescoreOptions::new(&out);
    rescore.progress = pipeline::ProgressMode::Off;
    pipeline::rescore(&rescore, &rubric).unwrap();
    let dataset = cache::load(std::slice::from_ref(&out), &Default::default()).unwrap();
    assert_eq!(dataset.calls.len(), 4);
    let runs: Vec<(&str, usize)> = dataset
        .sources
        .iter()
        .map(|s| (s.command.as_str(), s.calls))
        .collect();
    assert_eq!(runs, [("run", 2), ("rescore", 2)]);
}

#[test]
fn a_database_from_before_schema_5_upgrades_without_losing_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("out");
    let path = old_database_fixture(&folder);
    // What the schema-4 store held, read before the upgrade.
    type Old = (String, String, i64, String, String);
    let (old, old_results, old_transcripts): (Vec<Old>, i64, i64) = {
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 4, "the fixture is a schema-4 database");
        let old = conn
            .prepare(
                "SELECT s.call_id, s.rubric_sha256, s.run_id, s.scorecard_json, c.transcript_json \
                 FROM scorecards s JOIN calls c USING (out_dir, call_id) ORDER BY s.call_id, s.run_id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let results = conn
            .query_row("SELECT COUNT(*) FROM results", [], |r| r.get(0))
            .unwrap();
        let transcripts = conn
            .query_row("SELECT COUNT(*) FROM transcripts", [], |r| r.get(0))
            .unwrap();
        (old, results, transcripts)
    };
    assert_eq!(old.len(), 4);

    let db = CacheDb::open(&path).unwrap();
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(db.check_integrity().unwrap(), Vec::<String>::new());
    assert_eq!(
        db.result_count().unwrap() as i64,
        old_results,
        "no scorecard added or lost"
    );
    assert_eq!(db.transcript_count().unwrap() as i64, old_transcripts);
    drop(db);

    // Every stored scorecard is reported as it was, with its transcript as
    // the old store had it, from the run that wrote it.
    for rubric in [OLD_FIXTURE_RUBRIC_A, OLD_FIXTURE_RUBRIC_B] {
        let dataset = cache::load(
            std::slice::from_ref(&folder),
            &cache::RubricChoice::Sha256Prefix(rubric[..8].to_string()),
        )
        .unwrap();
        let expected: Vec<&Old> = old.iter().filter(|o| o.1 == rubric).collect();
        assert_eq!(dataset.calls.len(), expected.len(), "{rubric}");
        for (call_id, _, run_id, scorecard_json, transcript_json) in expected {
            let call = dataset
                .calls
                .iter()
                .find(|c| &c.transcript.call_id == call_id)
                .unwrap();
            assert_eq!(call.run_id, *run_id, "{call_id}");
            assert_eq!(dataset.sources[call.source].run_id, *run_id);
            assert_eq!(
                serde_json::to_value(&call.scorecard).unwrap(),
                serde_json::from_str::<serde_json::Value>(scorecard_json).unwrap(),
                "{call_id}"
            );
            assert_eq!(
                call.transcript,
                Transcript::from_json(transcript_json, std::path::Path::new("old.json")).unwrap(),
                "{call_id}"
            );
        }
    }
    let latest = cache::load(std::slice::from_ref(&folder), &Default::default()).unwrap();
    assert_eq!(latest.rubric.sha256, OLD_FIXTURE_RUBRIC_B);
    assert_eq!(latest.unscored, ["dev-01", "dev-02"]);
    let older = cache::load(
        std::slice::from_ref(&folder),
        &cache::RubricChoice::Sha256Prefix(OLD_FIXTURE_RUBRIC_A[..8].to_string()),
    )
    .unwrap();
    let runs: Vec<(i64, &str, usize)> = older
        .sources
        .iter()
        .map(|s| (s.run_id, s.command.as_str(), s.calls))
        .collect();
    assert_eq!(runs, [(1, "run", 2), (3, "rescore", 1)]);

    // It re-scores (the last run's plan: dev-03) from the stored transcript.
    let mut rescore = pipeline::RescoreOptions::new(&folder);
    rescore.progress = pipeline::ProgressMode::Off;
    let summary = pipeline::rescore(&rescore, &builtin_rubric()).unwrap();
    assert_eq!(summary.counts.scored, 1, "{:?}", summary.errors);
    assert_eq!(
        CacheDb::open(&path).unwrap().check_integrity().unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn a_reported_transcript_is_the_one_the_run_scored_and_wrote() {
    // The database keeps the recording's transcript once and the call's
    // metadata per run; put together they must be what the run scored and
    // wrote to transcripts/<id>.json, also with redaction (applied before
    // the transcript is stored, and again before scoring).
    for redact in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let calls = tmp.path().join("calls");
        copy_dev_wavs(&calls);
        let manifest = tmp.path().join("calls.csv");
        fs::write(&manifest, dev_manifest_rows("calls")).unwrap();
        let out = tmp.path().join("out");
        let mut opts = options(vec![manifest], &out);
        if redact {
            opts.redact = callqa::redact::Policy::all();
        }
        let summary =
            pipeline::run(&opts, &GroundTruthTranscriber::new(), &builtin_rubric()).unwrap();
        assert_eq!(summary.counts.scored, 4, "{:?}", summary.errors);
        let dataset = cache::load(std::slice::from_ref(&out), &Default::default()).unwrap();
        assert_eq!(dataset.calls.len(), 4);
        for call in &dataset.calls {
            let written = Transcript::from_path(
                &out.join("transcripts")
                    .join(format!("{}.json", call.transcript.call_id)),
            )
            .unwrap();
            assert_eq!(call.transcript, written, "redact {redact}");
            assert!(call.transcript.agent_id.is_some(), "manifest metadata kept");
        }
        let placeholders = dataset
            .calls
            .iter()
            .flat_map(|c| &c.transcript.utterances)
            .filter(|u| u.text.contains('['))
            .count();
        assert_eq!(
            placeholders > 0,
            redact,
            "redaction reached the stored transcripts"
        );
    }
}
