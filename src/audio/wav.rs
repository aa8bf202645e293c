//! RIFF/WAVE container parsing and sample decoding to f32, for every encoding
//! callqa accepts (see [`SUPPORTED_ENCODINGS`](super::SUPPORTED_ENCODINGS)).
//!
//! Why our own parser rather than `hound`'s reader: hound does not decode
//! G.711 (our telephone recordings are μ-law), does not skip the pad byte
//! after odd-sized chunks (so a `LIST` chunk of odd length derails it),
//! rejects data sizes of 0 / 0xFFFFFFFF written by streaming recorders
//! instead of reading to the end of the file, and cannot say how many bytes
//! of a truncated file are missing. One parser for all encodings gives every
//! recording the same tolerance and the same error messages; the tests use
//! hound's writer to make fixtures and its reader as an independent oracle
//! for the PCM and float paths.
//!
//! Tolerated: `fact`, `LIST`, `JUNK`, `bext` and any other chunk before
//! `data`; odd chunks with or without their pad byte; a `fmt ` chunk longer
//! than its structure; RF64 (`ds64`) for files over 4 GiB; a `data` size of
//! 0 or 0xFFFFFFFF (read to the end of the file); a data size that is not a
//! whole number of frames (the partial last frame is dropped).

use std::io::{self, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::AudioError;
use super::g711::{ALAW_TO_LINEAR, MULAW_TO_LINEAR};

/// How the samples in a WAV file are coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// Linear PCM: unsigned 8-bit, signed 16/24/32-bit little-endian.
    Pcm,
    /// IEEE float, 32 or 64 bit.
    Float,
    /// ITU-T G.711 μ-law, 8 bit (North American / Japanese telephony; format tag 7).
    MuLaw,
    /// ITU-T G.711 A-law, 8 bit (European / Chinese telephony; format tag 6).
    ALaw,
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Pcm => "PCM",
            Encoding::Float => "IEEE float",
            Encoding::MuLaw => "G.711 μ-law",
            Encoding::ALaw => "G.711 A-law",
        })
    }
}

const WAVE_FORMAT_PCM: u16 = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT: u16 = 0x0003;
const WAVE_FORMAT_ALAW: u16 = 0x0006;
const WAVE_FORMAT_MULAW: u16 = 0x0007;
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// Bytes 2..16 of every `KSDATAFORMAT_SUBTYPE_*` GUID derived from a format
/// tag: `{tag}-0000-0010-8000-00AA00389B71`, as stored little-endian.
const SUBTYPE_GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// A `fmt ` chunk larger than this is not a format description.
const MAX_FMT_CHUNK: u32 = 1 << 16;

/// The sample layout of a WAV file, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WavFormat {
    pub encoding: Encoding,
    pub channels: u16,
    pub sample_rate: u32,
    /// Bytes per sample in the file (the container), 1..=8.
    pub sample_bytes: usize,
    /// Bytes per frame (one sample of every channel).
    pub frame_bytes: usize,
    /// Significant bits per sample (`wValidBitsPerSample` for EXTENSIBLE).
    pub bits: u16,
    /// The format tag as written (0xFFFE for EXTENSIBLE).
    pub format_tag: u16,
}

/// How many bytes of audio the `data` chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataLength {
    Declared(u64),
    /// A streaming writer left the size open (0 or 0xFFFFFFFF): read to EOF.
    UntilEof,
}

/// What precedes the audio: the format, and where and how long the data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WavHeader {
    pub format: WavFormat,
    /// Offset of the first audio byte in the file.
    pub data_offset: u64,
    pub data_length: DataLength,
}

/// Reads the header up to the first audio byte, leaving `reader` there.
pub(crate) fn read_header<R: Read>(
    reader: &mut PushbackReader<R>,
    path: &Path,
) -> Result<WavHeader, AudioError> {
    let mut input = HeaderReader {
        inner: reader,
        offset: 0,
        path,
    };

    let mut riff = [0u8; 12];
    let got = input.fill(&mut riff)?;
    if got == 0 {
        return Err(AudioError::Empty {
            path: path.to_owned(),
            detail: "the file is 0 bytes long".into(),
        });
    }
    let is_rf64 = match &riff[0..4] {
        b"RIFF" => false,
        b"RF64" => true,
        _ => {
            return Err(AudioError::NotWav {
                path: path.to_owned(),
                found: describe_foreign_magic(&riff[..got]),
            })
        }
    };
    if got < 12 {
        return Err(input.truncated("the RIFF header"));
    }
    if &riff[8..12] != b"WAVE" {
        return Err(AudioError::NotWav {
            path: path.to_owned(),
            found: format!(
                "a RIFF file of type {:?}, not WAVE",
                String::from_utf8_lossy(&riff[8..12])
            ),
        });
    }

    let mut format: Option<WavFormat> = None;
    let mut rf64_data_length: Option<u64> = None;
    let mut chunks_seen: Vec<String> = Vec::new();
    let mut previous_chunk_was_odd = false;
    loop {
        let (id, size) = match input.chunk_header(previous_chunk_was_odd)? {
            Some(header) => header,
            None => {
                let seen = if chunks_seen.is_empty() {
                    "none".to_owned()
                } else {
                    chunks_seen.join(", ")
                };
                return Err(AudioError::MalformedHeader {
                    path: path.to_owned(),
                    problem: format!(
                        "no `data` chunk before the end of the file at byte {} (chunks found: {seen})",
                        input.offset
                    ),
                });
            }
        };
        chunks_seen.push(format!("{:?}", String::from_utf8_lossy(&id)));
        previous_chunk_was_odd = size % 2 == 1;
        match &id {
            b"fmt " => {
                if !(16..=MAX_FMT_CHUNK).contains(&size) {
                    return Err(input.malformed(format!(
                        "the fmt chunk is {size} bytes; a WAV format description is 16 to 40 bytes"
                    )));
                }
                let mut body = vec![0u8; size as usize];
                input.read_exact(&mut body, "the fmt chunk")?;
                format = Some(parse_format(&body, path)?);
            }
            b"ds64" if is_rf64 => {
                if size < 24 {
                    return Err(
                        input.malformed(format!("the RF64 ds64 chunk is {size} bytes, needs 24"))
                    );
                }
                let mut body = [0u8; 24];
                input.read_exact(&mut body, "the RF64 ds64 chunk")?;
                rf64_data_length = Some(u64::from_le_bytes(body[8..16].try_into().unwrap()));
                input.skip(u64::from(size) - 24, "the RF64 ds64 chunk")?;
            }
            b"data" => {
                let Some(format) = format else {
                    return Err(
                        input.malformed("the data chunk comes before any fmt chunk".to_owned())
                    );
                };
                let data_length = match (size, rf64_data_length) {
                    (0xFFFF_FFFF, Some(length)) if is_rf64 => DataLength::Declared(length),
                    (0 | 0xFFFF_FFFF, _) => DataLength::UntilEof,
                    (size, _) => DataLength::Declared(u64::from(size)),
                };
                return Ok(WavHeader {
                    format,
                    data_offset: input.offset,
                    data_length,
                });
            }
            _ => input.skip(u64::from(size), "a chunk before the audio data")?,
        }
    }
}

/// Parses and validates a `fmt ` chunk body (at least 16 bytes).
fn parse_format(body: &[u8], path: &Path) -> Result<WavFormat, AudioError> {
    let u16_at = |at: usize| u16::from_le_bytes([body[at], body[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(body[at..at + 4].try_into().unwrap());
    let malformed = |problem: String| AudioError::MalformedHeader {
        path: path.to_owned(),
        problem,
    };

    let format_tag = u16_at(0);
    let channels = u16_at(2);
    let sample_rate = u32_at(4);
    let block_align = u16_at(12) as usize;
    let container_bits = u16_at(14);

    if channels == 0 {
        return Err(malformed("the fmt chunk says 0 channels".to_owned()));
    }
    if !(1000..=768_000).contains(&sample_rate) {
        return Err(malformed(format!(
            "implausible sample rate {sample_rate} Hz in the fmt chunk"
        )));
    }

    let (coding_tag, valid_bits) = if format_tag == WAVE_FORMAT_EXTENSIBLE {
        if body.len() < 40 {
            return Err(malformed(format!(
                "the WAVE_FORMAT_EXTENSIBLE fmt chunk is {} bytes, needs 40",
                body.len()
            )));
        }
        let guid = &body[24..40];
        if guid[2..] != SUBTYPE_GUID_TAIL {
            return Err(AudioError::UnsupportedEncoding {
                path: path.to_owned(),
                tag: format_tag,
                name: format!(
                    "WAVE_FORMAT_EXTENSIBLE with sub-format GUID {}",
                    format_guid(guid)
                ),
                bits: container_bits,
            });
        }
        let valid = u16_at(18);
        (
            u16::from_le_bytes([guid[0], guid[1]]),
            if valid == 0 { container_bits } else { valid },
        )
    } else {
        (format_tag, container_bits)
    };

    let unsupported = |name: String| AudioError::UnsupportedEncoding {
        path: path.to_owned(),
        tag: coding_tag,
        name,
        bits: container_bits,
    };
    let encoding = match coding_tag {
        WAVE_FORMAT_PCM => Encoding::Pcm,
        WAVE_FORMAT_IEEE_FLOAT => Encoding::Float,
        WAVE_FORMAT_ALAW => Encoding::ALaw,
        WAVE_FORMAT_MULAW => Encoding::MuLaw,
        other => return Err(unsupported(format_tag_name(other))),
    };

    // The container size comes from wBitsPerSample; a few G.711 writers leave
    // it 0, and then nBlockAlign is all there is.
    let sample_bytes = if container_bits == 0 {
        if block_align == 0 || block_align % channels as usize != 0 {
            return Err(malformed(format!(
                "the fmt chunk gives neither bits per sample nor a usable block size ({block_align} bytes for {channels} channels)"
            )));
        }
        block_align / channels as usize
    } else {
        (container_bits as usize).div_ceil(8)
    };
    let bits = if valid_bits == 0 {
        (sample_bytes * 8) as u16
    } else {
        valid_bits
    };
    if bits as usize > sample_bytes * 8 {
        return Err(malformed(format!(
            "{bits} valid bits do not fit a {}-bit sample",
            sample_bytes * 8
        )));
    }
    match (encoding, sample_bytes) {
        (Encoding::Pcm, 1..=4)
        | (Encoding::Float, 4 | 8)
        | (Encoding::MuLaw | Encoding::ALaw, 1) => {}
        (Encoding::Pcm, _) => return Err(unsupported(format!("PCM {}-bit", sample_bytes * 8))),
        (Encoding::Float, _) => {
            return Err(unsupported(format!("IEEE float {}-bit", sample_bytes * 8)))
        }
        (Encoding::MuLaw | Encoding::ALaw, _) => {
            return Err(malformed(format!(
                "{encoding} must have 8 bits per sample, the fmt chunk says {container_bits}"
            )))
        }
    }

    Ok(WavFormat {
        encoding,
        channels,
        sample_rate,
        sample_bytes,
        frame_bytes: sample_bytes * channels as usize,
        bits,
        format_tag,
    })
}

impl WavFormat {
    /// Decodes the whole frames in `bytes`, appending each channel's samples
    /// (full scale ±1.0) to `channels[c]`. Bytes after the last whole frame
    /// are ignored.
    pub(crate) fn decode_frames(&self, bytes: &[u8], channels: &mut [Vec<f32>]) {
        debug_assert_eq!(channels.len(), self.channels as usize);
        match (self.encoding, self.sample_bytes) {
            (Encoding::Pcm, 1) => {
                self.deinterleave(bytes, channels, |b| (f32::from(b[0]) - 128.0) / 128.0)
            }
            // Left-justify 16/24/32-bit samples in an i32: one scale for all widths,
            // and EXTENSIBLE's zero low bits (e.g. 20 valid bits in 24) come out right.
            (Encoding::Pcm, 2) => self.deinterleave(bytes, channels, |b| {
                i32::from_le_bytes([0, 0, b[0], b[1]]) as f32 / 2_147_483_648.0
            }),
            (Encoding::Pcm, 3) => self.deinterleave(bytes, channels, |b| {
                i32::from_le_bytes([0, b[0], b[1], b[2]]) as f32 / 2_147_483_648.0
            }),
            (Encoding::Pcm, _) => self.deinterleave(bytes, channels, |b| {
                i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0
            }),
            // A NaN or infinity would poison every filter output it touches: make it silence.
            (Encoding::Float, 4) => self.deinterleave(bytes, channels, |b| {
                let value = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                if value.is_finite() {
                    value
                } else {
                    0.0
                }
            }),
            (Encoding::Float, _) => self.deinterleave(bytes, channels, |b| {
                let value = f64::from_le_bytes(b[..8].try_into().unwrap()) as f32;
                if value.is_finite() {
                    value
                } else {
                    0.0
                }
            }),
            (Encoding::MuLaw, _) => self.deinterleave(bytes, channels, |b| {
                f32::from(MULAW_TO_LINEAR[b[0] as usize]) / 32768.0
            }),
            (Encoding::ALaw, _) => self.deinterleave(bytes, channels, |b| {
                f32::from(ALAW_TO_LINEAR[b[0] as usize]) / 32768.0
            }),
        }
    }

    fn deinterleave(&self, bytes: &[u8], channels: &mut [Vec<f32>], decode: impl Fn(&[u8]) -> f32) {
        for frame in bytes.chunks_exact(self.frame_bytes) {
            for (channel, sample) in channels
                .iter_mut()
                .zip(frame.chunks_exact(self.sample_bytes))
            {
                channel.push(decode(sample));
            }
        }
    }
}

/// Counts the bytes read so errors can say where the header broke off.
struct HeaderReader<'a, R> {
    inner: &'a mut PushbackReader<R>,
    offset: u64,
    path: &'a Path,
}

impl<R: Read> HeaderReader<'_, R> {
    /// Reads until `buf` is full or the file ends; returns the bytes read.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, AudioError> {
        let got = read_full(self.inner, buf).map_err(|source| self.io(source))?;
        self.offset += got as u64;
        Ok(got)
    }

    fn read_exact(&mut self, buf: &mut [u8], reading: &'static str) -> Result<(), AudioError> {
        if self.fill(buf)? < buf.len() {
            return Err(self.truncated(reading));
        }
        Ok(())
    }

    fn skip(&mut self, count: u64, reading: &'static str) -> Result<(), AudioError> {
        let skipped = io::copy(&mut (&mut *self.inner).take(count), &mut io::sink())
            .map_err(|source| self.io(source))?;
        self.offset += skipped;
        if skipped < count {
            return Err(self.truncated(reading));
        }
        Ok(())
    }

    /// The next chunk's id and size, or `None` at a clean end of file.
    ///
    /// After an odd-sized chunk RIFF requires a pad byte, but some writers
    /// leave it out. We read nine bytes: if the first is zero or cannot start
    /// a chunk id it is the pad; otherwise there was no pad, and the ninth
    /// byte (the next chunk's first body byte) goes back into the reader.
    fn chunk_header(
        &mut self,
        after_odd_chunk: bool,
    ) -> Result<Option<([u8; 4], u32)>, AudioError> {
        let mut header = [0u8; 9];
        let wanted = if after_odd_chunk { 9 } else { 8 };
        let got = self.fill(&mut header[..wanted])?;
        let mut start = 0;
        if after_odd_chunk {
            if got <= 1 {
                return Ok(None); // only the pad byte (or nothing) was left
            }
            if header[0] == 0 || !is_chunk_id(&header[0..4]) {
                start = 1;
            } else if got == 9 {
                self.inner.unread(header[8]);
                self.offset -= 1;
                return self.parse_chunk_header(&header[..8], 8);
            }
        } else if got == 0 {
            return Ok(None);
        }
        self.parse_chunk_header(&header[start..got], got - start)
    }

    fn parse_chunk_header(
        &self,
        bytes: &[u8],
        got: usize,
    ) -> Result<Option<([u8; 4], u32)>, AudioError> {
        if got < 8 {
            return Err(self.truncated("a chunk header"));
        }
        let id: [u8; 4] = bytes[0..4].try_into().unwrap();
        if !is_chunk_id(&id) {
            return Err(self.malformed(format!(
                "unreadable chunk id {} at byte {}; the file is corrupt",
                hex(&id),
                self.offset - 8
            )));
        }
        Ok(Some((
            id,
            u32::from_le_bytes(bytes[4..8].try_into().unwrap()),
        )))
    }

    fn truncated(&self, reading: &'static str) -> AudioError {
        AudioError::TruncatedHeader {
            path: self.path.to_owned(),
            at: self.offset,
            reading,
        }
    }

    fn malformed(&self, problem: String) -> AudioError {
        AudioError::MalformedHeader {
            path: self.path.to_owned(),
            problem,
        }
    }

    fn io(&self, source: io::Error) -> AudioError {
        AudioError::Io {
            path: self.path.to_owned(),
            source,
        }
    }
}

/// A reader that can take back one byte: the chunk walker sometimes reads one
/// byte past a chunk header (see `chunk_header`).
#[derive(Debug)]
pub(crate) struct PushbackReader<R> {
    inner: R,
    pushed_back: Option<u8>,
}

impl<R> PushbackReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        PushbackReader {
            inner,
            pushed_back: None,
        }
    }

    fn unread(&mut self, byte: u8) {
        debug_assert!(self.pushed_back.is_none());
        self.pushed_back = Some(byte);
    }
}

impl<R: Read> Read for PushbackReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(byte) = self.pushed_back.take() {
            buf[0] = byte;
            return Ok(1);
        }
        self.inner.read(buf)
    }
}

/// Reads until `buf` is full or the reader is exhausted; returns the count.
pub(crate) fn read_full<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Chunk ids are four printable ASCII characters (`fmt `, `LIST`, `data`, …).
fn is_chunk_id(bytes: &[u8]) -> bool {
    bytes.len() == 4 && bytes.iter().all(|&b| (0x20..=0x7E).contains(&b))
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn format_guid(guid: &[u8]) -> String {
    let d1 = u32::from_le_bytes(guid[0..4].try_into().unwrap());
    let d2 = u16::from_le_bytes([guid[4], guid[5]]);
    let d3 = u16::from_le_bytes([guid[6], guid[7]]);
    let tail: String = guid[8..].iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{{{d1:08X}-{d2:04X}-{d3:04X}-{}-{}}}",
        &tail[..4],
        &tail[4..]
    )
}

/// A human name for a format tag we do not decode.
fn format_tag_name(tag: u16) -> String {
    match tag {
        0x0002 => "Microsoft ADPCM".to_owned(),
        0x0011 => "IMA ADPCM".to_owned(),
        0x0031 => "GSM 6.10".to_owned(),
        0x0040 => "G.721 ADPCM".to_owned(),
        0x0050 => "MPEG audio".to_owned(),
        0x0055 => "MPEG Layer III (MP3)".to_owned(),
        0x0064 => "G.726 ADPCM".to_owned(),
        _ => format!("format tag {tag:#06x}"),
    }
}

/// Names what a non-WAV file probably is, from its first bytes.
fn describe_foreign_magic(head: &[u8]) -> String {
    let what = if head.starts_with(b"RIFX") {
        Some("a big-endian RIFX file")
    } else if head.starts_with(b"ID3")
        || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0)
    {
        Some("it looks like MP3")
    } else if head.starts_with(b"OggS") {
        Some("it looks like Ogg (Opus/Vorbis)")
    } else if head.starts_with(b"fLaC") {
        Some("it looks like FLAC")
    } else if head.starts_with(b"FORM") {
        Some("it looks like AIFF")
    } else if head.starts_with(b".snd") {
        Some("it looks like Sun/NeXT AU")
    } else if head.starts_with(b"#!AMR") {
        Some("it looks like AMR")
    } else if head.len() >= 8 && &head[4..8] == b"ftyp" {
        Some("it looks like MP4/M4A")
    } else {
        None
    };
    let start = &head[..head.len().min(4)];
    let printable: String = start
        .iter()
        .map(|&b| {
            if (0x20..0x7F).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    match what {
        Some(what) => format!("{what}; it starts with bytes {} {printable:?}", hex(start)),
        None => format!("it starts with bytes {} {printable:?}", hex(start)),
    }
}
