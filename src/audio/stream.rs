//! Block-by-block decoding of a WAV recording into 16 kHz f32 channels, in
//! bounded memory whatever the recording's length.
//!
//! An [`AudioStream`] reads a few thousand frames at a time, decodes them,
//! resamples each channel, and hands out [`AudioBlock`]s of a fixed length
//! (30 s by default; the last one shorter). What it holds at any moment is
//! one block of output per channel, one read of input, and each resampler's
//! filter history (a few hundred samples) — about 4 MB for a stereo call
//! with 30 s blocks, be the file 4 minutes or 4 hours long.
//!
//! The checks that need the whole recording come at the end of the stream:
//! a truncated data chunk read from a pipe (a file's length is checked when
//! it is opened), an empty data chunk, and silence. They arrive as the last
//! item, after the blocks, so a consumer has seen every sample before it
//! learns the recording is unusable; `decode_file` turns them into its
//! result.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::AudioError;
use super::level::{ChannelLevel, LevelMeter, DEFAULT_SILENCE_THRESHOLD_DBFS};
use super::resample::Resampler;
use super::wav::{self, read_full, DataLength, Encoding, PushbackReader, WavFormat};
use super::OUTPUT_SAMPLE_RATE;

/// Frames read from the file per step (0.5 s at 8 kHz; 85 ms at 48 kHz).
const FRAMES_PER_READ: usize = 4096;

/// How to decode, and what counts as a bad recording.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeOptions {
    /// Length of the blocks an [`AudioStream`] yields, in ms (at least 10).
    pub block_ms: u32,
    /// More channels than this is an error ([`AudioError::TooManyChannels`]).
    /// Calls are mono or one speaker per channel; we do not guess which of
    /// three or more channels is the agent, and mixing them would lose the
    /// separation that speaker attribution relies on.
    pub max_channels: u16,
    /// A recording is silent when every sample on every channel is below this.
    pub silence_threshold_dbfs: f32,
    /// Whether a silent recording is an error ([`AudioError::Silent`]) or
    /// decoded normally (then check [`DecodedAudio::is_silent`](super::DecodedAudio::is_silent)).
    pub reject_silence: bool,
    /// Decode the part of a truncated data chunk that is there instead of
    /// failing with [`AudioError::TruncatedData`]; [`SourceInfo::truncated`]
    /// then says how much was missing. Off by default: a call cut short looks
    /// like a call without a closing, and would be scored as one.
    pub accept_truncated: bool,
    /// `decode_file` refuses recordings longer than this (their 16 kHz
    /// samples are held whole); stream them with [`AudioStream`] instead.
    pub max_whole_file_ms: u64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            block_ms: 30_000,
            max_channels: 2,
            silence_threshold_dbfs: DEFAULT_SILENCE_THRESHOLD_DBFS,
            reject_silence: true,
            accept_truncated: false,
            // Two hours of stereo at 16 kHz f32 is ≈ 0.9 GB.
            max_whole_file_ms: 2 * 3600 * 1000,
        }
    }
}

/// What the recording was before decoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub format: Encoding,
    /// Significant bits per sample (8 for G.711).
    pub bits: u16,
    /// Sample rate of the file, Hz.
    pub rate: u32,
    pub channels: u16,
    /// Frames (samples per channel) at the source rate. Before a stream from
    /// a pipe has ended this is what the header promises (0 if it doesn't say).
    pub frames: u64,
    /// `frames` in ms, rounded.
    pub duration_ms: u64,
    /// The fmt chunk's format tag (0xFFFE for WAVE_FORMAT_EXTENSIBLE).
    pub format_tag: u16,
    /// Set when a truncated file was decoded under `accept_truncated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncation>,
}

/// How much of a truncated data chunk was there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truncation {
    pub expected_bytes: u64,
    pub found_bytes: u64,
}

/// A stretch of decoded audio: every channel at 16 kHz, the same length.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioBlock {
    /// Index of the first sample in the whole recording, at 16 kHz.
    pub start_sample: u64,
    /// One vector per channel, in file order (0 = left).
    pub channels: Vec<Vec<f32>>,
}

impl AudioBlock {
    /// Samples per channel.
    pub fn len(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Time of the first sample from the start of the recording, ms.
    pub fn start_ms(&self) -> u64 {
        self.start_sample * 1000 / u64::from(OUTPUT_SAMPLE_RATE)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Reading,
    /// The input has ended; handing out what is left.
    Draining,
    Done,
}

/// Decodes a WAV recording block by block (see the module documentation).
///
/// ```no_run
/// use callqa::audio::AudioStream;
/// let mut stream = AudioStream::open("call.wav")?;
/// while let Some(block) = stream.next_block()? {
///     let left = &block.channels[0]; // 16 kHz, at most 30 s
///     # let _ = left;
/// }
/// # Ok::<(), callqa::audio::AudioError>(())
/// ```
#[derive(Debug)]
pub struct AudioStream<R = BufReader<File>> {
    path: PathBuf,
    reader: PushbackReader<R>,
    format: WavFormat,
    options: DecodeOptions,
    source: SourceInfo,
    /// Offset of the first audio byte in the file.
    data_offset: u64,
    /// What the data chunk declares, when it declares anything.
    declared_bytes: Option<u64>,
    bytes_read: u64,
    frames_read: u64,
    read_buffer: Vec<u8>,
    /// Decoded input of the current read, per channel, at the source rate.
    decoded: Vec<Vec<f32>>,
    resamplers: Vec<Resampler>,
    meters: Vec<LevelMeter>,
    /// 16 kHz output not yet handed out, per channel.
    pending: Vec<Vec<f32>>,
    block_samples: usize,
    next_block_start: u64,
    stage: Stage,
    /// An error found at the end of the input, reported after the last block.
    deferred_error: Option<AudioError>,
}

impl AudioStream<BufReader<File>> {
    /// Opens `path` with the default [`DecodeOptions`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AudioError> {
        Self::open_with(path, &DecodeOptions::default())
    }

    /// Opens `path` and reads its header. Problems visible from the header
    /// and the file's length (not a WAV, unsupported, too many channels,
    /// truncated or empty data) are reported here, before any decoding.
    pub fn open_with(path: impl AsRef<Path>, options: &DecodeOptions) -> Result<Self, AudioError> {
        let path = path.as_ref();
        let io_error = |source| AudioError::Io {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        let file_len = file.metadata().map_err(io_error)?.len();
        let mut stream = Self::start(
            BufReader::with_capacity(64 * 1024, file),
            path.to_owned(),
            options,
        )?;
        stream.check_against_file_length(file_len)?;
        Ok(stream)
    }
}

impl<R: Read> AudioStream<R> {
    /// Decodes from any reader (a pipe, a buffer); `path` names it in errors.
    /// Without a file length, truncation shows up only when the data runs out.
    pub fn from_reader(
        reader: R,
        path: impl Into<PathBuf>,
        options: &DecodeOptions,
    ) -> Result<Self, AudioError> {
        Self::start(reader, path.into(), options)
    }

    fn start(reader: R, path: PathBuf, options: &DecodeOptions) -> Result<Self, AudioError> {
        let mut reader = PushbackReader::new(reader);
        let header = wav::read_header(&mut reader, &path)?;
        let format = header.format;
        if format.channels > options.max_channels {
            return Err(AudioError::TooManyChannels {
                path,
                channels: format.channels,
                max: options.max_channels,
            });
        }
        let declared_bytes = match header.data_length {
            DataLength::Declared(bytes) => Some(bytes),
            DataLength::UntilEof => None,
        };
        if let Some(bytes) = declared_bytes {
            if bytes < format.frame_bytes as u64 {
                return Err(AudioError::Empty {
                    path,
                    detail: empty_detail(bytes, &format),
                });
            }
        }
        let frames = declared_bytes.map_or(0, |bytes| bytes / format.frame_bytes as u64);
        let channels = usize::from(format.channels);
        let block_samples =
            (options.block_ms.max(10) as usize) * (OUTPUT_SAMPLE_RATE as usize / 1000);
        Ok(AudioStream {
            source: SourceInfo {
                format: format.encoding,
                bits: format.bits,
                rate: format.sample_rate,
                channels: format.channels,
                frames,
                duration_ms: frames_to_ms(frames, format.sample_rate),
                format_tag: format.format_tag,
                truncated: None,
            },
            path,
            reader,
            options: options.clone(),
            data_offset: header.data_offset,
            declared_bytes,
            bytes_read: 0,
            frames_read: 0,
            read_buffer: vec![0; FRAMES_PER_READ * format.frame_bytes],
            decoded: vec![Vec::with_capacity(FRAMES_PER_READ); channels],
            resamplers: (0..channels)
                .map(|_| Resampler::new(format.sample_rate, OUTPUT_SAMPLE_RATE))
                .collect(),
            meters: vec![LevelMeter::default(); channels],
            pending: vec![Vec::new(); channels],
            block_samples,
            next_block_start: 0,
            stage: Stage::Reading,
            deferred_error: None,
            format,
        })
    }

    /// With the file's length known, settles truncation and empty data now
    /// rather than after decoding everything that is there.
    fn check_against_file_length(&mut self, file_len: u64) -> Result<(), AudioError> {
        let available = file_len.saturating_sub(self.data_offset);
        let frame_bytes = self.format.frame_bytes as u64;
        let present = match self.declared_bytes {
            Some(declared) if available < declared => {
                if !self.options.accept_truncated {
                    return Err(self.truncated_error(declared, available));
                }
                available
            }
            Some(declared) => declared,
            None => available,
        };
        if present < frame_bytes {
            return Err(AudioError::Empty {
                path: self.path.clone(),
                detail: empty_detail(present, &self.format),
            });
        }
        self.set_frames(present / frame_bytes);
        Ok(())
    }

    /// The recording's format, and its length as far as known (exact once
    /// the stream has ended).
    pub fn source(&self) -> &SourceInfo {
        &self.source
    }

    /// The file (or the name given to [`AudioStream::from_reader`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Per-channel levels of the samples decoded so far (source rate).
    pub fn levels(&self) -> Vec<ChannelLevel> {
        self.meters.iter().map(LevelMeter::level).collect()
    }

    /// Samples per channel of every block but the last.
    pub fn block_len(&self) -> usize {
        self.block_samples
    }

    /// Samples per channel the whole recording becomes at 16 kHz, as far as
    /// the header (or file length) tells.
    pub fn output_len_hint(&self) -> u64 {
        self.resamplers
            .first()
            .map_or(0, |r| r.output_len_for(self.source.frames))
    }

    /// The next block, `Ok(None)` after the last one. An error ends the
    /// stream; after it, `Ok(None)`.
    pub fn next_block(&mut self) -> Result<Option<AudioBlock>, AudioError> {
        loop {
            if self.pending[0].len() >= self.block_samples {
                return Ok(Some(self.take_block(self.block_samples)));
            }
            match self.stage {
                Stage::Reading => {
                    if let Err(error) = self.read_step() {
                        self.stage = Stage::Done;
                        return Err(error);
                    }
                }
                Stage::Draining => {
                    if !self.pending[0].is_empty() {
                        return Ok(Some(self.take_block(self.pending[0].len())));
                    }
                    self.stage = Stage::Done;
                    if let Some(error) = self.deferred_error.take() {
                        return Err(error);
                    }
                    return self.final_check().map(|()| None);
                }
                Stage::Done => return Ok(None),
            }
        }
    }

    /// Reads, decodes and resamples one step's worth of frames.
    fn read_step(&mut self) -> Result<(), AudioError> {
        let frame_bytes = self.format.frame_bytes;
        let mut want = self.read_buffer.len();
        if let Some(declared) = self.declared_bytes {
            want = want.min(
                (declared - self.bytes_read)
                    .try_into()
                    .unwrap_or(usize::MAX),
            );
        }
        let got = read_full(&mut self.reader, &mut self.read_buffer[..want]).map_err(|source| {
            AudioError::Io {
                path: self.path.clone(),
                source,
            }
        })?;
        self.bytes_read += got as u64;
        let whole_frames = got / frame_bytes;
        if whole_frames > 0 {
            for channel in &mut self.decoded {
                channel.clear();
            }
            self.format.decode_frames(
                &self.read_buffer[..whole_frames * frame_bytes],
                &mut self.decoded,
            );
            for ((decoded, resampler), (meter, pending)) in self
                .decoded
                .iter()
                .zip(&mut self.resamplers)
                .zip(self.meters.iter_mut().zip(&mut self.pending))
            {
                meter.add(decoded);
                resampler.process(decoded, pending);
            }
            self.frames_read += whole_frames as u64;
        }
        // A short read means the input is exhausted (read_full fills unless at EOF).
        let ended = got < want || self.declared_bytes == Some(self.bytes_read);
        if ended {
            self.end_of_input()?;
        }
        Ok(())
    }

    fn end_of_input(&mut self) -> Result<(), AudioError> {
        if let Some(declared) = self.declared_bytes {
            if self.bytes_read < declared {
                // Hand out what was decoded first; the error ends the stream.
                if self.options.accept_truncated {
                    self.source.truncated = Some(Truncation {
                        expected_bytes: declared,
                        found_bytes: self.bytes_read,
                    });
                } else {
                    self.deferred_error = Some(self.truncated_error(declared, self.bytes_read));
                }
            }
        }
        if self.frames_read == 0 {
            if let Some(error) = self.deferred_error.take() {
                return Err(error);
            }
            return Err(AudioError::Empty {
                path: self.path.clone(),
                detail: empty_detail(self.bytes_read, &self.format),
            });
        }
        self.set_frames(self.frames_read);
        for (resampler, pending) in self.resamplers.iter_mut().zip(&mut self.pending) {
            resampler.finish(pending);
        }
        self.stage = Stage::Draining;
        Ok(())
    }

    fn final_check(&self) -> Result<(), AudioError> {
        let levels = self.levels();
        let loudest = levels
            .iter()
            .map(|level| level.peak_dbfs)
            .fold(f32::NEG_INFINITY, f32::max);
        if self.options.reject_silence && loudest < self.options.silence_threshold_dbfs {
            return Err(AudioError::Silent {
                path: self.path.clone(),
                peak_dbfs: loudest,
                threshold_dbfs: self.options.silence_threshold_dbfs,
            });
        }
        Ok(())
    }

    fn take_block(&mut self, len: usize) -> AudioBlock {
        let channels = self
            .pending
            .iter_mut()
            .map(|pending| pending.drain(..len).collect())
            .collect();
        let block = AudioBlock {
            start_sample: self.next_block_start,
            channels,
        };
        self.next_block_start += len as u64;
        block
    }

    fn set_frames(&mut self, frames: u64) {
        self.source.frames = frames;
        self.source.duration_ms = frames_to_ms(frames, self.format.sample_rate);
    }

    fn truncated_error(&self, declared: u64, found: u64) -> AudioError {
        let bytes_to_ms = |bytes: u64| {
            frames_to_ms(
                bytes / self.format.frame_bytes as u64,
                self.format.sample_rate,
            )
        };
        AudioError::TruncatedData {
            path: self.path.clone(),
            expected_bytes: declared,
            found_bytes: found,
            expected_ms: bytes_to_ms(declared),
            found_ms: bytes_to_ms(found),
        }
    }
}

impl<R: Read> Iterator for AudioStream<R> {
    type Item = Result<AudioBlock, AudioError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_block().transpose()
    }
}

fn frames_to_ms(frames: u64, rate: u32) -> u64 {
    // In u128: a header may declare 2^62 bytes, and `frames * 1000` must
    // not wrap to a length of "0 ms".
    let ms = (u128::from(frames) * 1000 + u128::from(rate) / 2) / u128::from(rate);
    u64::try_from(ms).unwrap_or(u64::MAX)
}

fn empty_detail(bytes: u64, format: &WavFormat) -> String {
    if bytes == 0 {
        "the data chunk is empty (0 bytes of audio)".to_owned()
    } else {
        format!(
            "the data chunk holds {bytes} bytes, less than one {}-byte frame of {} channel(s)",
            format.frame_bytes, format.channels
        )
    }
}
