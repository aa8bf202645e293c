//! Everything that can go wrong decoding a recording, as one error type whose
//! messages name the file, the problem and, where there is one, the fix.

use std::io;
use std::path::{Path, PathBuf};

/// What the decoder accepts, quoted in "unsupported" messages.
pub const SUPPORTED_ENCODINGS: &str = "PCM 8/16/24/32-bit (tag 0x0001), IEEE float 32/64-bit (0x0003), \
G.711 A-law (0x0006), G.711 μ-law (0x0007), and WAVE_FORMAT_EXTENSIBLE (0xFFFE) wrapping one of these";

/// A recording that cannot be decoded (or should not be scored), naming the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    #[error("{}: cannot read the file: {source}; check that the path is right and the file is readable", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{}: not a RIFF/WAVE file ({found}); callqa reads WAV recordings — \
             convert others first, e.g. `sox in.mp3 -e signed-integer -b 16 out.wav`", path.display())]
    NotWav { path: PathBuf, found: String },

    #[error("{}: truncated header: the file ends at byte {at} while reading {reading}; \
             the file was cut short or is not a complete WAV; copy or export the call again", path.display())]
    TruncatedHeader {
        path: PathBuf,
        at: u64,
        reading: &'static str,
    },

    #[error("{}: malformed WAV header: {problem}; the file is damaged or not a real WAV: export \
             the call again from the recorder, or rewrite it with `sox {} -r 8000 fixed.wav` if sox \
             can read it", path.display(), path.display())]
    MalformedHeader { path: PathBuf, problem: String },

    #[error("{}: unsupported encoding {name} (format tag {tag:#06x}, {bits} bits per sample); \
             supported: {SUPPORTED_ENCODINGS}; convert with e.g. \
             `sox in.wav -e signed-integer -b 16 out.wav`", path.display())]
    UnsupportedEncoding {
        path: PathBuf,
        tag: u16,
        name: String,
        bits: u16,
    },

    #[error("{}", truncated_message(path, *expected_bytes, *found_bytes, *expected_ms, *found_ms))]
    TruncatedData {
        path: PathBuf,
        expected_bytes: u64,
        found_bytes: u64,
        expected_ms: u64,
        found_ms: u64,
    },

    #[error("{}: no audio: {detail}; export the call again from the recorder", path.display())]
    Empty { path: PathBuf, detail: String },

    #[error("{}: silent recording: the loudest sample on every channel is {peak_dbfs:.1} dBFS, \
             below the {threshold_dbfs:.0} dBFS silence threshold; check the recorder's input and \
             channel wiring (nothing to transcribe)", path.display())]
    Silent {
        path: PathBuf,
        peak_dbfs: f32,
        threshold_dbfs: f32,
    },

    #[error("{}: {channels} channels, but callqa decodes at most {max} (mono, or stereo with \
             one speaker per channel); keep the two call legs, e.g. `sox in.wav out.wav remix 1 2`", path.display())]
    TooManyChannels {
        path: PathBuf,
        channels: u16,
        max: u16,
    },

    #[error("{}: {duration_ms} ms of audio is longer than the {limit_ms} ms that whole-file decoding \
             holds in memory; read it block by block with `AudioStream` (or raise \
             `DecodeOptions::max_whole_file_ms`)", path.display())]
    TooLong {
        path: PathBuf,
        duration_ms: u64,
        limit_ms: u64,
    },
}

/// A data chunk larger than this (1 TiB) is a corrupt header, not a long
/// recording: 1 TiB is four years of 8 kHz telephone audio, and more than a
/// day even at 768 kHz stereo 64-bit float, the most the decoder accepts.
pub const MAX_PLAUSIBLE_DATA_BYTES: u64 = 1 << 40;

/// The flag that decodes what is there of a truncated recording.
pub const ACCEPT_TRUNCATED_FLAG: &str = "--accept-truncated";

/// The message of [`AudioError::TruncatedData`]. A declared size no
/// recording can have (an RF64 `ds64` chunk saying 2^62 bytes, say) is a
/// damaged header rather than a copy cut short, and is called that, with
/// the sizes side by side either way.
fn truncated_message(
    path: &Path,
    expected_bytes: u64,
    found_bytes: u64,
    expected_ms: u64,
    found_ms: u64,
) -> String {
    let path = path.display();
    let present = format!(
        "the file holds only {found_bytes} bytes of audio ({})",
        duration(found_ms)
    );
    let decode_anyway = if found_bytes == 0 {
        "there is no audio to decode".to_owned()
    } else {
        format!(
            "to score the {} that is there, run again with `callqa run {ACCEPT_TRUNCATED_FLAG} …`",
            duration(found_ms)
        )
    };
    if expected_bytes > MAX_PLAUSIBLE_DATA_BYTES {
        format!(
            "{path}: corrupt WAV header: it declares {expected_bytes} bytes of audio ({}), more than \
             any recording holds, but {present}; the size field in the header is damaged (a bad \
             writer or a broken copy) — re-export the recording from the source system, or {decode_anyway}",
            bytes(expected_bytes)
        )
    } else {
        format!(
            "{path}: truncated data: the header declares {expected_bytes} bytes ({} of audio) but \
             {present}; the recording was cut short (interrupted copy or recorder?) — re-export it, \
             or {decode_anyway}",
            duration(expected_ms)
        )
    }
}

/// `61.8 s`, `1 h 03 min`, `12 days`: a length a person reads at a glance.
fn duration(ms: u64) -> String {
    let seconds = ms / 1000;
    match seconds {
        0..=59 => format!("{:.1} s", ms as f64 / 1000.0),
        60..=3599 => format!("{} min {:02} s", seconds / 60, seconds % 60),
        3600..=172_799 => format!("{} h {:02} min", seconds / 3600, seconds % 3600 / 60),
        _ if seconds < 3 * 365 * 86_400 => format!("{} days", seconds / 86_400),
        _ => format!("{} years", seconds / (365 * 86_400)),
    }
}

/// `4.0 EiB`: binary units, for sizes far from any real file.
fn bytes(n: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", units[unit])
}

impl AudioError {
    /// The recording the error is about.
    pub fn path(&self) -> &Path {
        match self {
            AudioError::Io { path, .. }
            | AudioError::NotWav { path, .. }
            | AudioError::TruncatedHeader { path, .. }
            | AudioError::MalformedHeader { path, .. }
            | AudioError::UnsupportedEncoding { path, .. }
            | AudioError::TruncatedData { path, .. }
            | AudioError::Empty { path, .. }
            | AudioError::Silent { path, .. }
            | AudioError::TooManyChannels { path, .. }
            | AudioError::TooLong { path, .. } => path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truncated(expected_bytes: u64, found_bytes: u64, expected_ms: u64, found_ms: u64) -> String {
        AudioError::TruncatedData {
            path: PathBuf::from("calls/a.wav"),
            expected_bytes,
            found_bytes,
            expected_ms,
            found_ms,
        }
        .to_string()
    }

    #[test]
    fn a_cut_short_recording_names_both_sizes_and_the_flag() {
        let message = truncated(1_600_000, 800_000, 100_000, 50_000);
        assert!(
            message.starts_with("calls/a.wav: truncated data:"),
            "{message}"
        );
        assert!(
            message.contains("1600000 bytes (1 min 40 s of audio)"),
            "{message}"
        );
        assert!(
            message.contains("800000 bytes of audio (50.0 s)"),
            "{message}"
        );
        assert!(message.contains("--accept-truncated"), "{message}");
        assert!(!message.contains("DecodeOptions"), "{message}");
    }

    #[test]
    fn an_impossible_size_is_a_corrupt_header() {
        let message = truncated(1 << 62, 1_000, (1 << 61) / 8, 62);
        assert!(message.contains("corrupt WAV header"), "{message}");
        assert!(
            message.contains("4611686018427387904 bytes of audio (4.0 EiB)"),
            "{message}"
        );
        assert!(message.contains("1000 bytes of audio (0.1 s)"), "{message}");
        assert!(!message.contains("0 ms"), "{message}");
        assert!(message.contains("--accept-truncated"), "{message}");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(61_800), "1 min 01 s");
        assert_eq!(duration(3_780_000), "1 h 03 min");
        assert_eq!(duration(10 * 86_400_000), "10 days");
        assert_eq!(duration(u64::MAX), "584942417 years");
    }
}
