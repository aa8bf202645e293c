//! Helpers shared by the `audio_*` integration tests: where the shared audio
//! lives, hand-built WAV files (for what hound cannot write), G.711 encoders,
//! and signal measurements (frequency by zero crossings, levels).
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};

/// `../shared/audio` beside the crate; fails loudly rather than skipping.
pub fn shared_audio_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/audio");
    assert!(
        dir.join("dev").is_dir() && dir.join("real").is_dir(),
        "the shared audio set is missing: expected {}/dev and {}/real (the project's shared/ folder \
         beside the crate); these tests need it and do not skip",
        dir.display(),
        dir.display()
    );
    dir
}

pub fn sine(rate: u32, frequency: f64, amplitude: f64, frames: usize) -> Vec<f64> {
    (0..frames)
        .map(|i| {
            amplitude * (2.0 * std::f64::consts::PI * frequency * i as f64 / rate as f64).sin()
        })
        .collect()
}

/// Frequency from rising zero crossings (interpolated), over `samples` at `rate`.
pub fn frequency_by_zero_crossings(samples: &[f32], rate: u32) -> f64 {
    let mut crossings = Vec::new();
    for i in 1..samples.len() {
        let (a, b) = (samples[i - 1] as f64, samples[i] as f64);
        if a < 0.0 && b >= 0.0 {
            crossings.push((i - 1) as f64 + a / (a - b));
        }
    }
    assert!(
        crossings.len() >= 3,
        "too few zero crossings ({}) to measure a frequency",
        crossings.len()
    );
    let periods = (crossings.len() - 1) as f64;
    periods * rate as f64 / (crossings[crossings.len() - 1] - crossings[0])
}

pub fn rms(samples: &[f32]) -> f64 {
    (samples
        .iter()
        .map(|&s| (s as f64) * (s as f64))
        .sum::<f64>()
        / samples.len() as f64)
        .sqrt()
}

/// Amplitude of a sine from its RMS.
pub fn sine_amplitude(samples: &[f32]) -> f64 {
    rms(samples) * std::f64::consts::SQRT_2
}

pub fn dbfs(samples: &[f32]) -> f64 {
    20.0 * rms(samples).max(1e-12).log10()
}

/// The middle of a signal, `margin` samples in from both ends (filter edges).
pub fn middle(samples: &[f32], margin: usize) -> &[f32] {
    &samples[margin..samples.len() - margin]
}

/// ITU G.711 μ-law encoder (Sun's public-domain `linear2ulaw`, 16-bit input).
pub fn linear_to_mulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const SEGMENT_ENDS: [i32; 8] = [0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF, 0x3FFF, 0x7FFF];
    let (value, mask) = if sample < 0 {
        (BIAS - sample as i32, 0x7F)
    } else {
        (sample as i32 + BIAS, 0xFF)
    };
    match SEGMENT_ENDS.iter().position(|&end| value <= end) {
        None => (0x7F ^ mask) as u8,
        Some(segment) => (((segment as i32) << 4 | ((value >> (segment + 3)) & 0x0F)) ^ mask) as u8,
    }
}

/// ITU G.711 A-law encoder (Sun's public-domain `linear2alaw`, 16-bit input).
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut value = (sample as i32) >> 3; // 13-bit
    let mask = if value >= 0 {
        0xD5
    } else {
        value = -value - 1;
        0x55
    };
    let segment_ends = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let segment = segment_ends
        .iter()
        .position(|&end| value <= end)
        .unwrap_or(8) as i32;
    if segment >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mut code = segment << 4;
    code |= if segment < 2 {
        (value >> 1) & 0x0F
    } else {
        (value >> segment) & 0x0F
    };
    (code ^ mask) as u8
}

pub fn to_i16(value: f64) -> i16 {
    (value * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// Interleaves per-channel signals into frames.
pub fn interleave(channels: &[Vec<f64>]) -> Vec<f64> {
    let frames = channels[0].len();
    (0..frames)
        .flat_map(|i| channels.iter().map(move |c| c[i]))
        .collect()
}

/// What to put in the `data` chunk's size field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSize {
    /// The true size.
    Actual,
    /// A given value (0 / 0xFFFFFFFF from streaming writers, or a lie).
    Written(u32),
}

/// A WAV file assembled byte by byte, for the encodings and quirks hound's
/// writer does not produce.
#[derive(Debug, Clone)]
pub struct RawWav {
    pub format_tag: u16,
    pub channels: u16,
    pub rate: u32,
    /// wBitsPerSample (the container size for EXTENSIBLE).
    pub bits: u16,
    /// `Some((valid_bits, subformat_tag))` writes a 40-byte WAVE_FORMAT_EXTENSIBLE
    /// fmt chunk with the standard GUID for `subformat_tag`.
    pub extensible: Option<(u16, u16)>,
    /// Append cbSize = 0 (an 18-byte fmt chunk, as sox writes for G.711).
    pub cb_size: bool,
    /// Chunks between `fmt ` and `data` (id, body).
    pub chunks_before_data: Vec<([u8; 4], Vec<u8>)>,
    /// Write the pad byte after odd-sized chunks (RIFF says to; some writers don't).
    pub pad_odd_chunks: bool,
    pub data: Vec<u8>,
    pub data_size: DataSize,
    /// Write `RF64` + a `ds64` chunk instead of a plain RIFF header.
    pub rf64: bool,
}

impl RawWav {
    pub fn new(format_tag: u16, channels: u16, rate: u32, bits: u16, data: Vec<u8>) -> Self {
        RawWav {
            format_tag,
            channels,
            rate,
            bits,
            extensible: None,
            cb_size: false,
            chunks_before_data: Vec::new(),
            pad_odd_chunks: true,
            data,
            data_size: DataSize::Actual,
            rf64: false,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let container_bytes = (self.bits as usize).div_ceil(8).max(1);
        let block_align = (container_bytes * self.channels as usize) as u16;
        let mut fmt = Vec::new();
        let tag = if self.extensible.is_some() {
            0xFFFE
        } else {
            self.format_tag
        };
        fmt.extend_from_slice(&tag.to_le_bytes());
        fmt.extend_from_slice(&self.channels.to_le_bytes());
        fmt.extend_from_slice(&self.rate.to_le_bytes());
        fmt.extend_from_slice(&(self.rate * block_align as u32).to_le_bytes());
        fmt.extend_from_slice(&block_align.to_le_bytes());
        fmt.extend_from_slice(&self.bits.to_le_bytes());
        if let Some((valid_bits, subformat)) = self.extensible {
            fmt.extend_from_slice(&22u16.to_le_bytes());
            fmt.extend_from_slice(&valid_bits.to_le_bytes());
            let mask: u32 = if self.channels == 2 { 0x3 } else { 0x4 };
            fmt.extend_from_slice(&mask.to_le_bytes());
            fmt.extend_from_slice(&subformat.to_le_bytes());
            fmt.extend_from_slice(&[
                0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
            ]);
        } else if self.cb_size {
            fmt.extend_from_slice(&0u16.to_le_bytes());
        }

        let mut body = Vec::new();
        body.extend_from_slice(b"WAVE");
        if self.rf64 {
            let mut ds64 = Vec::new();
            ds64.extend_from_slice(&0u64.to_le_bytes()); // RIFF size: patched below
            ds64.extend_from_slice(&(self.data.len() as u64).to_le_bytes());
            ds64.extend_from_slice(
                &((self.data.len() / block_align as usize) as u64).to_le_bytes(),
            );
            ds64.extend_from_slice(&0u32.to_le_bytes());
            self.push_chunk(&mut body, b"ds64", &ds64);
        }
        self.push_chunk(&mut body, b"fmt ", &fmt);
        for (id, chunk) in &self.chunks_before_data {
            self.push_chunk(&mut body, id, chunk);
        }
        body.extend_from_slice(b"data");
        let size = match (self.rf64, self.data_size) {
            (true, _) => 0xFFFF_FFFF,
            (false, DataSize::Actual) => self.data.len() as u32,
            (false, DataSize::Written(size)) => size,
        };
        body.extend_from_slice(&size.to_le_bytes());
        body.extend_from_slice(&self.data);

        let mut file = Vec::new();
        file.extend_from_slice(if self.rf64 { b"RF64" } else { b"RIFF" });
        let riff_size = if self.rf64 {
            0xFFFF_FFFF
        } else {
            body.len() as u32
        };
        file.extend_from_slice(&riff_size.to_le_bytes());
        file.extend_from_slice(&body);
        if self.rf64 {
            let riff_size = (file.len() - 8) as u64;
            file[20..28].copy_from_slice(&riff_size.to_le_bytes()); // ds64 body starts at 20
        }
        file
    }

    fn push_chunk(&self, out: &mut Vec<u8>, id: &[u8; 4], body: &[u8]) {
        out.extend_from_slice(id);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(body);
        if body.len() % 2 == 1 && self.pad_odd_chunks {
            out.push(0);
        }
    }
}

/// Encodes interleaved samples (±1.0) for a format tag and container size.
pub fn encode_samples(format_tag: u16, bits: u16, interleaved: &[f64]) -> Vec<u8> {
    let mut out = Vec::new();
    for &value in interleaved {
        match (format_tag, bits) {
            (7, _) => out.push(linear_to_mulaw(to_i16(value))),
            (6, _) => out.push(linear_to_alaw(to_i16(value))),
            (1, 8) => out.push(((value * 128.0).round().clamp(-128.0, 127.0) as i32 + 128) as u8),
            (1, 16) => out.extend_from_slice(&to_i16(value).to_le_bytes()),
            (1, 24) => {
                let v = (value * 8_388_608.0)
                    .round()
                    .clamp(-8_388_608.0, 8_388_607.0) as i32;
                out.extend_from_slice(&v.to_le_bytes()[..3]);
            }
            (1, 32) => {
                let v = (value * 2_147_483_648.0)
                    .round()
                    .clamp(-2_147_483_648.0, 2_147_483_647.0) as i32;
                out.extend_from_slice(&v.to_le_bytes());
            }
            (3, 32) => out.extend_from_slice(&(value as f32).to_le_bytes()),
            (3, 64) => out.extend_from_slice(&value.to_le_bytes()),
            other => panic!("encode_samples: no encoder for {other:?}"),
        }
    }
    out
}

pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
