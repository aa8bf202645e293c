//! The audio stage: WAV recordings in, 16 kHz f32 samples per channel out.
//!
//! It owns decoding (RIFF/WAVE with PCM 8/16/24/32-bit, float 32/64-bit,
//! G.711 μ-law and A-law, WAVE_FORMAT_EXTENSIBLE, RF64), band-limited
//! resampling to 16 kHz (what Whisper takes), per-channel levels, and the
//! bad-input errors of PRODUCT.md for audio. It does not decide which channel
//! is the agent: channels come out in file order (0 = left) and the caller
//! maps them to roles.
//!
//! # Design
//!
//! Everything goes through one streaming pipeline, [`AudioStream`]:
//!
//! ```text
//!  file ─▶ wav::read_header ─▶ read 4096 frames ─▶ decode to f32 ─▶ level meters
//!                                   ▲                    │
//!                                   └── loop ◀── blocks ◀─ resample::Resampler (per channel)
//! ```
//!
//! * **Bounded memory.** The stream yields fixed-length [`AudioBlock`]s
//!   (30 s by default) and holds only one block, one read and the filter
//!   history, so a 4-hour recording is decoded in a few MB. [`decode_file`]
//!   is the convenience for normal-length calls: it collects the same stream
//!   into whole channels, and refuses recordings longer than
//!   [`DecodeOptions::max_whole_file_ms`] (2 h) with a message pointing to
//!   the stream.
//! * **Same samples either way.** The resampler is a polyphase FIR whose
//!   every output sample is one dot product over a fixed input window, so
//!   block boundaries and read sizes do not change a single sample: streaming
//!   and whole-file decoding agree bit for bit.
//! * **Exact times.** Output sample `k` is the input at time `k / 16000` s
//!   (zero-phase filter, no delay), so transcript times measured on the
//!   16 kHz signal hold for the original file.
//! * **Errors early when possible.** Opening a file checks the header and
//!   the file length (not a WAV, unsupported, too many channels, truncated,
//!   empty) before decoding anything; silence is known only at the end.
//!
//! # Bad input (see [`AudioError`])
//!
//! * More than two channels is an error (`TooManyChannels`), not a downmix:
//!   mixing would lose the one-speaker-per-channel separation the rest of the
//!   pipeline relies on. The limit is [`DecodeOptions::max_channels`].
//! * A data chunk cut short is an error (`TruncatedData`, with the bytes
//!   expected and found) unless [`DecodeOptions::accept_truncated`] is set
//!   (`callqa run --accept-truncated`, which the message names), because a
//!   call cut short looks like a call without its closing and would be
//!   scored as one. With the option, the part that is there is decoded and
//!   [`SourceInfo::truncated`] records the shortfall. A declared size above
//!   [`MAX_PLAUSIBLE_DATA_BYTES`] (an RF64 header saying 2^62 bytes) is
//!   reported as a corrupt header rather than a recording cut short.
//! * A data size of 0 or 0xFFFFFFFF (streaming recorders) means "to the end
//!   of the file", not empty.
//! * A silent recording (every sample below −60 dBFS on every channel) is an
//!   error (`Silent`) by default, since Whisper invents text on silence;
//!   with `reject_silence: false` it decodes and [`DecodedAudio::levels`]
//!   tells the caller which channels are silent.

mod error;
mod g711;
mod level;
mod resample;
mod stream;
mod wav;

use std::path::Path;

pub use error::{AudioError, ACCEPT_TRUNCATED_FLAG, MAX_PLAUSIBLE_DATA_BYTES, SUPPORTED_ENCODINGS};
pub use g711::{ALAW_TO_LINEAR, MULAW_TO_LINEAR};
pub use level::{
    amplitude_to_dbfs, frame_levels_dbfs, rms_dbfs, ChannelLevel, FrameLevels,
    DEFAULT_SILENCE_THRESHOLD_DBFS, DIGITAL_SILENCE_DBFS,
};
pub use resample::Resampler;
pub use stream::{AudioBlock, AudioStream, DecodeOptions, SourceInfo, Truncation};
pub use wav::Encoding;

/// The sample rate of everything this stage outputs (Whisper's input rate).
pub const OUTPUT_SAMPLE_RATE: u32 = 16_000;

/// A whole recording decoded to 16 kHz.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedAudio {
    /// One vector per channel in file order (0 = left), all the same length.
    pub channels: Vec<Vec<f32>>,
    /// Always [`OUTPUT_SAMPLE_RATE`].
    pub sample_rate: u32,
    /// What the file was.
    pub source: SourceInfo,
    /// Per-channel peak and RMS of the source samples.
    pub levels: Vec<ChannelLevel>,
}

impl DecodedAudio {
    /// Samples per channel.
    pub fn len(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Length in ms at the output rate.
    pub fn duration_ms(&self) -> u64 {
        self.len() as u64 * 1000 / u64::from(self.sample_rate)
    }

    /// One channel (0 = left), if the recording has it.
    pub fn channel(&self, index: usize) -> Option<&[f32]> {
        self.channels.get(index).map(Vec::as_slice)
    }

    /// True when every channel is silent (peak below `threshold_dbfs`).
    pub fn is_silent(&self, threshold_dbfs: f32) -> bool {
        self.levels
            .iter()
            .all(|level| level.is_silent(threshold_dbfs))
    }

    /// Indices of the channels whose peak is below `threshold_dbfs`: a dead
    /// call leg in an otherwise good recording.
    pub fn silent_channels(&self, threshold_dbfs: f32) -> Vec<usize> {
        (0..self.levels.len())
            .filter(|&i| self.levels[i].is_silent(threshold_dbfs))
            .collect()
    }
}

/// Decodes a whole recording with the default [`DecodeOptions`].
pub fn decode_file(path: impl AsRef<Path>) -> Result<DecodedAudio, AudioError> {
    decode_file_with(path, &DecodeOptions::default())
}

/// Decodes a whole recording: the blocks of an [`AudioStream`], joined.
pub fn decode_file_with(
    path: impl AsRef<Path>,
    options: &DecodeOptions,
) -> Result<DecodedAudio, AudioError> {
    let mut stream = AudioStream::open_with(path.as_ref(), options)?;
    let too_long = |stream: &AudioStream, duration_ms: u64| AudioError::TooLong {
        path: stream.path().to_owned(),
        duration_ms,
        limit_ms: options.max_whole_file_ms,
    };
    if stream.source().duration_ms > options.max_whole_file_ms {
        return Err(too_long(&stream, stream.source().duration_ms));
    }
    let capacity = usize::try_from(stream.output_len_hint()).unwrap_or(0);
    let mut channels = vec![Vec::with_capacity(capacity); usize::from(stream.source().channels)];
    while let Some(block) = stream.next_block()? {
        for (channel, samples) in channels.iter_mut().zip(block.channels) {
            channel.extend_from_slice(&samples);
        }
    }
    let source = stream.source().clone();
    if source.duration_ms > options.max_whole_file_ms {
        return Err(too_long(&stream, source.duration_ms));
    }
    Ok(DecodedAudio {
        channels,
        sample_rate: OUTPUT_SAMPLE_RATE,
        levels: stream.levels(),
        source,
    })
}
