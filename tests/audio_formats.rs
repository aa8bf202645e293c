//! Every supported WAV encoding, rate and container quirk decodes to the
//! right 16 kHz signal: a 1 kHz tone on the left and a 600 Hz tone at half
//! the level on the right must come out at the right frequency, level and
//! channel, whatever the file looked like.

mod audio_support;

use std::io::Cursor;

use audio_support::*;
use callqa::audio::{
    decode_file, AudioStream, DecodeOptions, DecodedAudio, Encoding, ALAW_TO_LINEAR,
    MULAW_TO_LINEAR,
};

const LEFT_HZ: f64 = 1000.0;
const LEFT_AMPLITUDE: f64 = 0.5;
const RIGHT_HZ: f64 = 600.0;
const RIGHT_AMPLITUDE: f64 = 0.25;

fn test_tones(rate: u32, frames: usize) -> Vec<Vec<f64>> {
    vec![
        sine(rate, LEFT_HZ, LEFT_AMPLITUDE, frames),
        sine(rate, RIGHT_HZ, RIGHT_AMPLITUDE, frames),
    ]
}

/// The decoded channels carry the test tones: frequency within 0.2 %,
/// amplitude within 3 %, 16 kHz, and the length the rate ratio implies.
fn assert_tones_survive(
    what: &str,
    decoded: &DecodedAudio,
    source_rate: u32,
    source_frames: usize,
) {
    assert_eq!(decoded.sample_rate, 16_000, "{what}");
    let expected_len = (source_frames as u64 * 16_000).div_ceil(source_rate as u64) as usize;
    assert_eq!(decoded.len(), expected_len, "{what}: 16 kHz length");
    let expected = [(LEFT_HZ, LEFT_AMPLITUDE), (RIGHT_HZ, RIGHT_AMPLITUDE)];
    for (index, channel) in decoded.channels.iter().enumerate() {
        assert_eq!(
            channel.len(),
            expected_len,
            "{what}: channel {index} length"
        );
        let (hz, amplitude) = expected[index];
        let body = middle(channel, 1600);
        let measured_hz = frequency_by_zero_crossings(body, 16_000);
        assert!(
            (measured_hz / hz - 1.0).abs() < 0.002,
            "{what}: channel {index} at {measured_hz:.2} Hz, want {hz}"
        );
        let measured_amplitude = sine_amplitude(body);
        assert!(
            (measured_amplitude / amplitude - 1.0).abs() < 0.03,
            "{what}: channel {index} amplitude {measured_amplitude:.4}, want {amplitude}"
        );
    }
}

fn write_with_hound(path: &std::path::Path, spec: hound::WavSpec, channels: &[Vec<f64>]) {
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for value in interleave(channels) {
        match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Float, _) => writer.write_sample(value as f32).unwrap(),
            (hound::SampleFormat::Int, 8) => writer
                .write_sample((value * 128.0).round().clamp(-128.0, 127.0) as i8)
                .unwrap(),
            (hound::SampleFormat::Int, 16) => writer.write_sample(to_i16(value)).unwrap(),
            (hound::SampleFormat::Int, 24) => writer
                .write_sample(
                    (value * 8_388_608.0)
                        .round()
                        .clamp(-8_388_608.0, 8_388_607.0) as i32,
                )
                .unwrap(),
            (hound::SampleFormat::Int, _) => writer
                .write_sample(
                    (value * 2_147_483_648.0)
                        .round()
                        .clamp(-2_147_483_648.0, 2_147_483_647.0) as i32,
                )
                .unwrap(),
        }
    }
    writer.finalize().unwrap();
}

const HOUND_FORMATS: [(u16, hound::SampleFormat, Encoding); 5] = [
    (8, hound::SampleFormat::Int, Encoding::Pcm),
    (16, hound::SampleFormat::Int, Encoding::Pcm),
    (24, hound::SampleFormat::Int, Encoding::Pcm),
    (32, hound::SampleFormat::Int, Encoding::Pcm),
    (32, hound::SampleFormat::Float, Encoding::Float),
];

#[test]
fn pcm_and_float_at_every_common_rate_resample_to_clean_16k_tones() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [8000u32, 16_000, 22_050, 44_100, 48_000] {
        for (bits, sample_format, encoding) in HOUND_FORMATS {
            let what = format!("{bits}-bit {encoding} at {rate} Hz");
            let path = dir
                .path()
                .join(format!("tone-{rate}-{bits}-{sample_format:?}.wav"));
            let spec = hound::WavSpec {
                channels: 2,
                sample_rate: rate,
                bits_per_sample: bits,
                sample_format,
            };
            write_with_hound(&path, spec, &test_tones(rate, rate as usize));
            let decoded = decode_file(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(decoded.source.format, encoding, "{what}");
            assert_eq!(decoded.source.bits, bits, "{what}");
            assert_eq!(
                (decoded.source.rate, decoded.source.channels),
                (rate, 2),
                "{what}"
            );
            assert_eq!(decoded.source.frames, rate as u64, "{what}");
            assert_eq!(decoded.source.duration_ms, 1000, "{what}");
            assert_tones_survive(&what, &decoded, rate, rate as usize);
        }
    }
}

#[test]
fn samples_at_16k_equal_what_hound_reads() {
    // At 16 kHz nothing is resampled, so our decoder must agree with hound's
    // reader sample for sample: an independent check of every PCM/float path.
    let dir = tempfile::tempdir().unwrap();
    for (bits, sample_format, _) in HOUND_FORMATS {
        let path = dir
            .path()
            .join(format!("oracle-{bits}-{sample_format:?}.wav"));
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 16_000,
            bits_per_sample: bits,
            sample_format,
        };
        write_with_hound(&path, spec, &test_tones(16_000, 4000));
        let ours = decode_file(&path).unwrap();
        let mut reader = hound::WavReader::open(&path).unwrap();
        let theirs: Vec<f32> = match sample_format {
            hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
            hound::SampleFormat::Int => {
                let full_scale = 2f32.powi(bits as i32 - 1);
                reader
                    .samples::<i32>()
                    .map(|s| s.unwrap() as f32 / full_scale)
                    .collect()
            }
        };
        let ours_interleaved: Vec<f32> = (0..ours.len())
            .flat_map(|i| [ours.channels[0][i], ours.channels[1][i]])
            .collect();
        assert_eq!(ours_interleaved, theirs, "{bits}-bit {sample_format:?}");
    }
}

#[test]
fn mono_files_decode_to_one_channel() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mono.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    write_with_hound(&path, spec, &test_tones(44_100, 22_050)[..1]);
    let decoded = decode_file(&path).unwrap();
    assert_eq!(decoded.channels.len(), 1);
    assert_eq!(decoded.source.channels, 1);
    assert_tones_survive("mono 44.1 kHz", &decoded, 44_100, 22_050);
}

/// Hand-built G.711 and EXTENSIBLE files: (name, file, source rate, frames, format, bits).
fn hand_built_files() -> Vec<(&'static str, RawWav, Encoding, u16)> {
    let tones = |rate: u32| interleave(&test_tones(rate, rate as usize));
    let mut sox_like_mulaw = RawWav::new(7, 2, 8000, 8, encode_samples(7, 8, &tones(8000)));
    sox_like_mulaw.cb_size = true;
    sox_like_mulaw
        .chunks_before_data
        .push((*b"fact", 8000u32.to_le_bytes().to_vec()));
    let mut alaw = RawWav::new(6, 2, 8000, 8, encode_samples(6, 8, &tones(8000)));
    alaw.cb_size = true;
    alaw.chunks_before_data
        .push((*b"fact", 8000u32.to_le_bytes().to_vec()));
    let alaw_16k = RawWav::new(6, 2, 16_000, 8, encode_samples(6, 8, &tones(16_000)));
    let mulaw_44k = RawWav::new(7, 2, 44_100, 8, encode_samples(7, 8, &tones(44_100)));

    let extensible = |subformat: u16, bits: u16, valid: u16, rate: u32| {
        let mut wav = RawWav::new(
            subformat,
            2,
            rate,
            bits,
            encode_samples(subformat, bits, &tones(rate)),
        );
        wav.extensible = Some((valid, subformat));
        wav
    };
    vec![
        (
            "μ-law 8 kHz, sox-style 18-byte fmt + fact",
            sox_like_mulaw,
            Encoding::MuLaw,
            8,
        ),
        ("A-law 8 kHz", alaw, Encoding::ALaw, 8),
        ("A-law 16 kHz", alaw_16k, Encoding::ALaw, 8),
        ("μ-law 44.1 kHz", mulaw_44k, Encoding::MuLaw, 8),
        (
            "EXTENSIBLE PCM 16-bit 22.05 kHz",
            extensible(1, 16, 16, 22_050),
            Encoding::Pcm,
            16,
        ),
        (
            "EXTENSIBLE PCM 24 valid bits in 32",
            extensible(1, 32, 24, 48_000),
            Encoding::Pcm,
            24,
        ),
        (
            "EXTENSIBLE float 32-bit 48 kHz",
            extensible(3, 32, 32, 48_000),
            Encoding::Float,
            32,
        ),
        (
            "EXTENSIBLE μ-law 8 kHz",
            extensible(7, 8, 8, 8000),
            Encoding::MuLaw,
            8,
        ),
        (
            "EXTENSIBLE A-law 8 kHz",
            extensible(6, 8, 8, 8000),
            Encoding::ALaw,
            8,
        ),
        (
            "float 64-bit 8 kHz",
            RawWav::new(3, 2, 8000, 64, encode_samples(3, 64, &tones(8000))),
            Encoding::Float,
            64,
        ),
    ]
}

#[test]
fn g711_and_extensible_files_resample_to_clean_16k_tones() {
    let dir = tempfile::tempdir().unwrap();
    for (index, (what, wav, encoding, bits)) in hand_built_files().into_iter().enumerate() {
        let path = write_file(dir.path(), &format!("hand-{index}.wav"), &wav.to_bytes());
        let decoded = decode_file(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(decoded.source.format, encoding, "{what}");
        assert_eq!(decoded.source.bits, bits, "{what}");
        assert_eq!(
            decoded.source.format_tag,
            if wav.extensible.is_some() {
                0xFFFE
            } else {
                wav.format_tag
            },
            "{what}"
        );
        assert_tones_survive(what, &decoded, wav.rate, wav.rate as usize);
    }
}

#[test]
fn every_g711_code_decodes_to_its_itu_value_through_a_file() {
    // 16 kHz, so no resampling: code c on the left, code 255 − c on the right.
    let dir = tempfile::tempdir().unwrap();
    let codes: Vec<u8> = (0..=255u8).flat_map(|c| [c, 255 - c]).collect();
    for (tag, table) in [(7u16, &MULAW_TO_LINEAR), (6, &ALAW_TO_LINEAR)] {
        let wav = RawWav::new(tag, 2, 16_000, 8, codes.clone());
        let decoded = callqa::audio::decode_file_with(
            write_file(dir.path(), &format!("codes-{tag}.wav"), &wav.to_bytes()),
            &DecodeOptions::default(),
        )
        .unwrap();
        for code in 0..=255usize {
            assert_eq!(
                decoded.channels[0][code],
                table[code] as f32 / 32768.0,
                "tag {tag} code {code}"
            );
            assert_eq!(
                decoded.channels[1][code],
                table[255 - code] as f32 / 32768.0,
                "tag {tag} code {}",
                255 - code
            );
        }
    }
    // And the encoder used by these tests inverts the tables (so the tone tests mean something).
    for code in 0..=255u8 {
        assert_eq!(
            linear_to_mulaw(MULAW_TO_LINEAR[code as usize]),
            if code == 0x7F { 0xFF } else { code }
        );
        assert_eq!(linear_to_alaw(ALAW_TO_LINEAR[code as usize]), code);
    }
}

#[test]
fn tones_above_8k_are_filtered_out_not_folded_into_the_speech_band() {
    // Sample dropping or linear interpolation would fold 12 kHz at 48 kHz onto 4 kHz.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ultrasonic.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    write_with_hound(&path, spec, &[sine(48_000, 12_000.0, 0.5, 48_000)]);
    let options = DecodeOptions {
        reject_silence: false,
        ..DecodeOptions::default()
    };
    let decoded = callqa::audio::decode_file_with(&path, &options).unwrap();
    let level = dbfs(middle(&decoded.channels[0], 1600));
    assert!(
        level < -90.0,
        "a 12 kHz tone at −9 dBFS leaks through at {level:.1} dBFS"
    );
}

/// The plain reference file the quirk tests compare against: stereo 16-bit 8 kHz.
fn reference_wav() -> RawWav {
    RawWav::new(
        1,
        2,
        8000,
        16,
        encode_samples(1, 16, &interleave(&test_tones(8000, 8000))),
    )
}

#[test]
fn container_quirks_decode_exactly_like_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = decode_file(write_file(
        dir.path(),
        "plain.wav",
        &reference_wav().to_bytes(),
    ))
    .unwrap();
    assert_tones_survive("plain", &baseline, 8000, 8000);

    let odd_list = (*b"LIST", b"INFOISFT\x05\x00\x00\x00sox!\x00".to_vec()); // 17 bytes: odd
    let mut variants: Vec<(&str, RawWav)> = Vec::new();
    let mut wav = reference_wav();
    wav.chunks_before_data = vec![
        (*b"fact", 8000u32.to_le_bytes().to_vec()),
        odd_list.clone(),
        (*b"JUNK", vec![0; 28]),
    ];
    variants.push(("fact, odd LIST with its pad byte, JUNK", wav));
    let mut wav = reference_wav();
    wav.chunks_before_data = vec![odd_list.clone(), (*b"fact", 8000u32.to_le_bytes().to_vec())];
    wav.pad_odd_chunks = false;
    variants.push(("odd LIST without its pad byte", wav));
    let mut wav = reference_wav();
    wav.chunks_before_data = vec![odd_list];
    wav.pad_odd_chunks = false; // the chunk right after the unpadded one is `data` itself
    variants.push(("odd LIST without pad right before data", wav));
    let mut wav = reference_wav();
    wav.data_size = DataSize::Written(0);
    variants.push(("data size 0 (streaming writer)", wav));
    let mut wav = reference_wav();
    wav.data_size = DataSize::Written(0xFFFF_FFFF);
    variants.push(("data size 0xFFFFFFFF (streaming writer)", wav));
    let mut wav = reference_wav();
    wav.cb_size = true;
    variants.push(("18-byte PCM fmt chunk", wav));
    let mut wav = reference_wav();
    wav.rf64 = true;
    variants.push(("RF64 with ds64", wav));
    let mut wav = reference_wav();
    wav.data.extend_from_slice(&[1, 2, 3]); // declared size is not a whole number of frames
    variants.push(("data size with a partial last frame", wav));

    for (what, wav) in variants {
        let path = write_file(dir.path(), "variant.wav", &wav.to_bytes());
        let decoded = decode_file(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(decoded.channels, baseline.channels, "{what}");
        assert_eq!(decoded.source.frames, 8000, "{what}");
    }
}

#[test]
fn chunks_after_a_declared_data_chunk_are_not_audio() {
    let dir = tempfile::tempdir().unwrap();
    let plain = reference_wav().to_bytes();
    let baseline = decode_file(write_file(dir.path(), "plain.wav", &plain)).unwrap();
    let mut with_trailer = plain.clone();
    with_trailer.extend_from_slice(b"LIST\x0c\x00\x00\x00INFOICMT\x00\x00\x00\x00");
    let decoded = decode_file(write_file(dir.path(), "trailer.wav", &with_trailer)).unwrap();
    assert_eq!(decoded.channels, baseline.channels);
}

#[test]
fn a_reader_decodes_like_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut wav = reference_wav();
    wav.data_size = DataSize::Written(0xFFFF_FFFF); // a pipe from a live recorder
    let bytes = wav.to_bytes();
    let from_file = decode_file(write_file(dir.path(), "piped.wav", &bytes)).unwrap();
    let stream =
        AudioStream::from_reader(Cursor::new(bytes), "stdin", &DecodeOptions::default()).unwrap();
    assert_eq!(
        stream.source().frames,
        0,
        "a pipe's length is unknown up front"
    );
    let mut left = Vec::new();
    let mut stream = stream;
    while let Some(block) = stream.next_block().unwrap() {
        left.extend_from_slice(&block.channels[0]);
    }
    assert_eq!(left, from_file.channels[0]);
    assert_eq!(
        stream.source().frames,
        8000,
        "known once the stream has ended"
    );
    assert_eq!(stream.source().duration_ms, 1000);
}

#[test]
fn odd_sample_rates_are_resampled_too() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [11_025u32, 12_345, 32_000, 44_101, 96_000] {
        let path = dir.path().join(format!("odd-{rate}.wav"));
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        write_with_hound(&path, spec, &test_tones(rate, rate as usize));
        let decoded = decode_file(&path).unwrap();
        assert_tones_survive(&format!("{rate} Hz"), &decoded, rate, rate as usize);
    }
}
