//! Bad recordings give the right error, and every message names the file
//! (PRODUCT.md "Bad input"): not a WAV, truncated header or data, unsupported
//! encodings, empty data, silence, too many channels, too long to hold whole.

mod audio_support;

use std::io::Cursor;
use std::path::{Path, PathBuf};

use audio_support::*;
use callqa::audio::{decode_file, decode_file_with, AudioError, AudioStream, DecodeOptions};

/// A valid 1 s stereo 16-bit 8 kHz file with a tone on each channel.
fn good_wav() -> RawWav {
    let tones = vec![sine(8000, 1000.0, 0.5, 8000), sine(8000, 600.0, 0.25, 8000)];
    RawWav::new(1, 2, 8000, 16, encode_samples(1, 16, &interleave(&tones)))
}

/// Decodes `bytes` written to a file called `name`; returns the path and the error.
fn decode_error(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    options: &DecodeOptions,
) -> (PathBuf, AudioError) {
    let path = write_file(dir, name, bytes);
    let error = decode_file_with(&path, options).expect_err(&format!("{name} should not decode"));
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "the message names the file: {message}"
    );
    assert_eq!(error.path(), path);
    (path, error)
}

fn defaults() -> DecodeOptions {
    DecodeOptions::default()
}

#[test]
fn a_file_that_is_not_a_wav_says_so_and_what_it_looks_like() {
    let dir = tempfile::tempdir().unwrap();
    let (_, error) = decode_error(
        dir.path(),
        "notes.wav",
        b"call notes: customer was angry\n",
        &defaults(),
    );
    assert!(matches!(error, AudioError::NotWav { .. }), "{error:?}");
    assert!(
        error.to_string().contains("not a RIFF/WAVE file"),
        "{error}"
    );
    assert!(
        error.to_string().contains("sox"),
        "the message suggests a conversion: {error}"
    );

    let (_, error) = decode_error(
        dir.path(),
        "song.wav",
        b"ID3\x04\x00\x00\x00\x00\x00\x00",
        &defaults(),
    );
    assert!(error.to_string().contains("MP3"), "{error}");
    let (_, error) = decode_error(
        dir.path(),
        "video.wav",
        b"RIFF\x04\x00\x00\x00AVI ",
        &defaults(),
    );
    assert!(error.to_string().contains("not WAVE"), "{error}");
}

#[test]
fn a_zero_byte_file_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (_, error) = decode_error(dir.path(), "zero.wav", b"", &defaults());
    assert!(matches!(error, AudioError::Empty { .. }), "{error:?}");
    assert!(error.to_string().contains("0 bytes"), "{error}");
}

#[test]
fn a_file_cut_inside_its_header_is_a_truncated_header() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = good_wav().to_bytes();
    for cut in [6, 20, 30, 40] {
        let (_, error) = decode_error(dir.path(), "cut-header.wav", &bytes[..cut], &defaults());
        match &error {
            AudioError::TruncatedHeader { at, .. } => assert_eq!(*at, cut as u64, "{error}"),
            other => panic!("cut at {cut}: {other:?}"),
        }
        assert!(error.to_string().contains("truncated header"), "{error}");
    }
}

#[test]
fn malformed_headers_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    // fmt but no data chunk.
    let mut no_data = good_wav().to_bytes();
    let data_at = no_data.windows(4).position(|w| w == b"data").unwrap();
    no_data.truncate(data_at);
    let (_, error) = decode_error(dir.path(), "no-data.wav", &no_data, &defaults());
    assert!(error.to_string().contains("no `data` chunk"), "{error}");
    // data before fmt.
    let bytes = b"RIFF\x14\x00\x00\x00WAVEdata\x04\x00\x00\x00\x01\x02\x03\x04";
    let (_, error) = decode_error(dir.path(), "data-first.wav", bytes, &defaults());
    assert!(
        error.to_string().contains("before any fmt chunk"),
        "{error}"
    );
    // zero channels.
    let mut wav = good_wav().to_bytes();
    wav[22] = 0;
    let (_, error) = decode_error(dir.path(), "no-channels.wav", &wav, &defaults());
    assert!(error.to_string().contains("0 channels"), "{error}");
    // The message says what to do about it.
    assert!(
        error.to_string().contains("export the call again")
            && error.to_string().contains("sox ")
            && error
                .to_string()
                .contains("no-channels.wav -r 8000 fixed.wav"),
        "{error}"
    );
    // garbage where a chunk header should be.
    let mut wav = good_wav().to_bytes();
    wav[36..40].copy_from_slice(&[0x00, 0x01, 0xFE, 0x80]);
    let (_, error) = decode_error(dir.path(), "garbage-chunk.wav", &wav, &defaults());
    assert!(
        matches!(error, AudioError::MalformedHeader { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("unreadable chunk id"), "{error}");
}

#[test]
fn a_file_cut_inside_its_data_says_how_much_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = good_wav().to_bytes(); // 44-byte header + 32 000 bytes of audio
    let cut = 44 + 12_000 + 1; // 3000 frames and a byte
    let (_, error) = decode_error(dir.path(), "cut-data.wav", &bytes[..cut], &defaults());
    match &error {
        AudioError::TruncatedData {
            expected_bytes,
            found_bytes,
            expected_ms,
            found_ms,
            ..
        } => {
            assert_eq!((*expected_bytes, *found_bytes), (32_000, 12_001));
            assert_eq!((*expected_ms, *found_ms), (1000, 375));
        }
        other => panic!("{other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("32000") && message.contains("12001"),
        "expected and found bytes: {message}"
    );
    assert!(
        message.contains("callqa run --accept-truncated"),
        "the message names the way out, a flag the user can run: {message}"
    );
}

#[test]
fn a_truncated_file_decodes_its_present_part_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = good_wav().to_bytes();
    let path = write_file(dir.path(), "cut-data.wav", &bytes[..44 + 12_001]);
    let options = DecodeOptions {
        accept_truncated: true,
        ..defaults()
    };
    let decoded = decode_file_with(&path, &options).unwrap();
    assert_eq!(
        decoded.source.frames, 3000,
        "the partial last frame is dropped"
    );
    assert_eq!(decoded.len(), 6000);
    let truncation = decoded.source.truncated.expect("the shortfall is recorded");
    assert_eq!(
        (truncation.expected_bytes, truncation.found_bytes),
        (32_000, 12_001)
    );
    // What is there is the real signal, not padding.
    let full = decode_file(write_file(dir.path(), "full.wav", &bytes)).unwrap();
    let body = 100..5800; // away from the (different) ends
    let worst = full.channels[0][body.clone()]
        .iter()
        .zip(&decoded.channels[0][body])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "{worst}");
}

#[test]
fn a_truncated_pipe_fails_at_the_end_of_the_stream() {
    // No file length to check up front: the blocks come, then the error.
    let bytes = good_wav().to_bytes();
    let options = DecodeOptions {
        block_ms: 100,
        ..defaults()
    };
    let stream = AudioStream::from_reader(
        Cursor::new(bytes[..44 + 12_000].to_vec()),
        "pipe:0",
        &options,
    )
    .unwrap();
    let items: Vec<_> = stream.collect();
    let (last, blocks) = items.split_last().unwrap();
    assert!(blocks.iter().all(Result::is_ok) && blocks.len() >= 3);
    let error = last.as_ref().unwrap_err();
    assert!(
        matches!(
            error,
            AudioError::TruncatedData {
                found_bytes: 12_000,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("pipe:0: "), "{error}");

    let options = DecodeOptions {
        accept_truncated: true,
        ..defaults()
    };
    let mut stream = AudioStream::from_reader(
        Cursor::new(bytes[..44 + 12_000].to_vec()),
        "pipe:0",
        &options,
    )
    .unwrap();
    let samples: usize = stream.by_ref().map(|block| block.unwrap().len()).sum();
    assert_eq!(samples, 6000);
    assert!(stream.source().truncated.is_some());
}

#[test]
fn unsupported_encodings_name_the_tag_and_list_what_works() {
    let dir = tempfile::tempdir().unwrap();
    let adpcm = RawWav::new(2, 1, 8000, 4, vec![0; 256]);
    let (_, error) = decode_error(dir.path(), "adpcm.wav", &adpcm.to_bytes(), &defaults());
    assert!(
        matches!(error, AudioError::UnsupportedEncoding { tag: 2, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    for needle in [
        "Microsoft ADPCM",
        "0x0002",
        "G.711 μ-law",
        "G.711 A-law",
        "PCM 8/16/24/32-bit",
        "EXTENSIBLE",
    ] {
        assert!(message.contains(needle), "missing {needle:?}: {message}");
    }

    let mp3 = RawWav::new(0x55, 1, 8000, 0, vec![0; 256]);
    let (_, error) = decode_error(dir.path(), "mp3-in-wav.wav", &mp3.to_bytes(), &defaults());
    assert!(error.to_string().contains("MP3"), "{error}");

    let mut ambisonic = RawWav::new(1, 2, 8000, 16, vec![0; 256]);
    ambisonic.extensible = Some((16, 1));
    let mut bytes = ambisonic.to_bytes();
    let guid_at = 20 + 24; // fmt body starts at byte 20; the GUID at body offset 24
    bytes[guid_at + 2] = 0x21; // not a KSDATAFORMAT_SUBTYPE_* GUID any more
    let (_, error) = decode_error(dir.path(), "odd-guid.wav", &bytes, &defaults());
    assert!(error.to_string().contains("sub-format GUID"), "{error}");

    let pcm64 = RawWav::new(1, 1, 8000, 64, vec![0; 256]);
    let (_, error) = decode_error(dir.path(), "pcm64.wav", &pcm64.to_bytes(), &defaults());
    assert!(error.to_string().contains("PCM 64-bit"), "{error}");
}

#[test]
fn an_empty_data_chunk_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let mut empty = good_wav();
    empty.data.clear();
    let (_, error) = decode_error(dir.path(), "empty.wav", &empty.to_bytes(), &defaults());
    assert!(matches!(error, AudioError::Empty { .. }), "{error:?}");
    assert!(error.to_string().contains("no audio"), "{error}");

    let mut less_than_a_frame = good_wav();
    less_than_a_frame.data = vec![0, 1, 2];
    let (_, error) = decode_error(
        dir.path(),
        "three-bytes.wav",
        &less_than_a_frame.to_bytes(),
        &defaults(),
    );
    assert!(
        error.to_string().contains("less than one 4-byte frame"),
        "{error}"
    );

    // The same through a pipe, where emptiness shows only at the end.
    let stream =
        AudioStream::from_reader(Cursor::new(empty.to_bytes()), "pipe:0", &defaults()).unwrap();
    let items: Vec<_> = stream.collect();
    assert!(
        matches!(items.as_slice(), [Err(AudioError::Empty { .. })]),
        "{items:?}"
    );
}

#[test]
fn a_silent_recording_is_an_error_unless_the_caller_takes_it_as_a_flag() {
    let dir = tempfile::tempdir().unwrap();
    let mut zeros = good_wav();
    zeros.data = vec![0; 32_000];
    let (_, error) = decode_error(dir.path(), "zeros.wav", &zeros.to_bytes(), &defaults());
    assert!(matches!(error, AudioError::Silent { .. }), "{error:?}");
    assert!(error.to_string().contains("silent recording"), "{error}");

    // Faint hiss at about −70 dBFS peak is silence too.
    let mut hiss = good_wav();
    let faint: Vec<f64> = (0..16_000)
        .map(|i| if i % 3 == 0 { 0.0003 } else { -0.0002 })
        .collect();
    hiss.data = encode_samples(1, 16, &faint);
    let (_, error) = decode_error(dir.path(), "hiss.wav", &hiss.to_bytes(), &defaults());
    match error {
        AudioError::Silent {
            peak_dbfs,
            threshold_dbfs,
            ..
        } => {
            assert!((peak_dbfs + 70.5).abs() < 0.5, "{peak_dbfs}");
            assert_eq!(threshold_dbfs, -60.0);
        }
        other => panic!("{other:?}"),
    }

    let path = write_file(dir.path(), "zeros.wav", &zeros.to_bytes());
    let options = DecodeOptions {
        reject_silence: false,
        ..defaults()
    };
    let decoded = decode_file_with(&path, &options).unwrap();
    assert!(decoded.is_silent(-60.0));
    assert_eq!(decoded.silent_channels(-60.0), vec![0, 1]);
}

#[test]
fn one_dead_leg_is_not_a_silent_recording() {
    let dir = tempfile::tempdir().unwrap();
    let tones = vec![sine(8000, 1000.0, 0.5, 8000), vec![0.0; 8000]];
    let wav = RawWav::new(7, 2, 8000, 8, encode_samples(7, 8, &interleave(&tones)));
    let decoded = decode_file(write_file(dir.path(), "dead-right.wav", &wav.to_bytes())).unwrap();
    assert!(!decoded.is_silent(-60.0));
    assert_eq!(decoded.silent_channels(-60.0), vec![1]);
    assert!(
        decoded.levels[0].peak_dbfs > -6.5 && decoded.levels[1].peak_dbfs < -100.0,
        "{:?}",
        decoded.levels
    );
}

#[test]
fn more_than_two_channels_is_an_error_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let three: Vec<Vec<f64>> = [300.0, 600.0, 900.0]
        .iter()
        .map(|&hz| sine(8000, hz, 0.3, 8000))
        .collect();
    let wav = RawWav::new(1, 3, 8000, 16, encode_samples(1, 16, &interleave(&three)));
    let (path, error) = decode_error(dir.path(), "conference.wav", &wav.to_bytes(), &defaults());
    assert!(
        matches!(
            error,
            AudioError::TooManyChannels {
                channels: 3,
                max: 2,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("remix"), "{error}");

    let decoded = decode_file_with(
        &path,
        &DecodeOptions {
            max_channels: 3,
            ..defaults()
        },
    )
    .unwrap();
    assert_eq!(decoded.channels.len(), 3);
    for (channel, hz) in decoded.channels.iter().zip([300.0, 600.0, 900.0]) {
        let measured = frequency_by_zero_crossings(middle(channel, 1600), 16_000);
        assert!((measured / hz - 1.0).abs() < 0.002, "{measured} vs {hz}");
    }
}

#[test]
fn recordings_too_long_to_hold_whole_point_to_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let options = DecodeOptions {
        max_whole_file_ms: 500,
        ..defaults()
    };
    let (path, error) = decode_error(dir.path(), "long.wav", &good_wav().to_bytes(), &options);
    assert!(
        matches!(
            error,
            AudioError::TooLong {
                duration_ms: 1000,
                limit_ms: 500,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("AudioStream"), "{error}");
    // The stream has no such limit.
    let samples: usize = AudioStream::open_with(&path, &options)
        .unwrap()
        .map(|b| b.unwrap().len())
        .sum();
    assert_eq!(samples, 16_000);
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("never-recorded.wav");
    let error = decode_file(&path).unwrap_err();
    assert!(matches!(error, AudioError::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("never-recorded.wav"), "{error}");
    assert!(
        std::error::Error::source(&error).is_some(),
        "the io::Error is kept as the source"
    );
}
