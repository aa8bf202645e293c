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
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{}: not a RIFF/WAVE file ({found}); callqa reads WAV recordings — \
             convert others first, e.g. `sox in.mp3 -e signed-integer -b 16 out.wav`", path.display())]
    NotWav { path: PathBuf, found: String },

    #[error("{}: truncated header: the file ends at byte {at} while reading {reading}; \
             the file was cut short or is not a complete WAV", path.display())]
    TruncatedHeader {
        path: PathBuf,
        at: u64,
        reading: &'static str,
    },

    #[error("{}: malformed WAV header: {problem}", path.display())]
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

    #[error("{}: truncated data: the data chunk declares {expected_bytes} bytes ({expected_ms} ms of audio) \
             but the file holds only {found_bytes} bytes ({found_ms} ms); the recording was cut short \
             (interrupted copy or recorder?) — re-export it, or decode the part that is there with \
             `DecodeOptions::accept_truncated`", path.display())]
    TruncatedData {
        path: PathBuf,
        expected_bytes: u64,
        found_bytes: u64,
        expected_ms: u64,
        found_ms: u64,
    },

    #[error("{}: no audio: {detail}", path.display())]
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
