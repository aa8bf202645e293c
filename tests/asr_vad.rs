//! The ASR stage's voice-activity detection and window packing on the real
//! dev calls (no model needed): the VAD finds every ground-truth utterance
//! on its speaker's channel with the right on/offsets, finds nothing else
//! (the −64 dBFS line noise is not speech), and the packed windows cover all
//! speech in far fewer Whisper passes than one per region.

use std::path::Path;

use callqa::asr::pack::{pack_windows, PackConfig};
use callqa::asr::vad::{detect_speech, split_long_regions, VadConfig};
use callqa::audio::{decode_file, OUTPUT_SAMPLE_RATE};
use callqa::transcript::Transcript;

const DEV: &str = "/work/shared/audio/dev";
const CALLS: [&str; 4] = ["dev-01", "dev-02", "dev-03", "dev-04"];

/// The ground truth marks on/offsets at −50 dBFS, the VAD at −45 dBFS.
const EDGE_TOLERANCE_MS: u64 = 80;

fn available() -> bool {
    let here = Path::new(DEV).join("dev-01.wav").exists();
    if !here {
        eprintln!("skipped: {DEV} is not available");
    }
    here
}

#[test]
fn vad_finds_every_utterance_and_nothing_else() {
    if !available() {
        return;
    }
    for call in CALLS {
        let audio = decode_file(Path::new(DEV).join(format!("{call}.wav"))).unwrap();
        let truth = Transcript::from_path(&Path::new(DEV).join(format!("{call}.json"))).unwrap();
        for (channel, role) in [(0, "agent"), (1, "customer")] {
            let vad = detect_speech(
                &audio.channels[channel],
                OUTPUT_SAMPLE_RATE,
                &VadConfig::default(),
            );
            assert_eq!(
                vad.threshold_dbfs, -45.0,
                "{call} ch{channel}: the line noise must not raise the threshold"
            );
            assert!(
                (-70.0..-55.0).contains(&vad.noise_floor_dbfs),
                "{call} ch{channel}: noise floor {}",
                vad.noise_floor_dbfs
            );
            let utterances: Vec<(u64, u64)> = truth
                .utterances
                .iter()
                .filter(|u| u.speaker == role)
                .map(|u| (u.start_ms.unwrap(), u.end_ms.unwrap()))
                .collect();
            for &(start, end) in &utterances {
                let near = |a: u64, b: u64| a.abs_diff(b) <= EDGE_TOLERANCE_MS;
                assert!(
                    vad.regions.iter().any(|r| near(r.start_ms, start)),
                    "{call} {role}: no region starts near {start} ms; regions {:?}",
                    vad.regions
                        .iter()
                        .map(|r| (r.start_ms, r.end_ms))
                        .collect::<Vec<_>>()
                );
                assert!(
                    vad.regions.iter().any(|r| near(r.end_ms, end)),
                    "{call} {role}: no region ends near {end} ms"
                );
            }
            for region in &vad.regions {
                assert!(
                    utterances
                        .iter()
                        .any(|&(s, e)| region.start_ms < e && region.end_ms > s),
                    "{call} {role}: region {}–{} ms is not in any utterance",
                    region.start_ms,
                    region.end_ms
                );
            }
        }
    }
}

#[test]
fn packing_covers_all_speech_in_few_windows() {
    if !available() {
        return;
    }
    let vad_config = VadConfig::default();
    let pack = PackConfig::default();
    let mut regions_total = 0;
    let mut windows_total = 0;
    for call in CALLS {
        let audio = decode_file(Path::new(DEV).join(format!("{call}.wav"))).unwrap();
        for channel in 0..2 {
            let vad = detect_speech(&audio.channels[channel], OUTPUT_SAMPLE_RATE, &vad_config);
            let regions = split_long_regions(
                vad.regions.clone(),
                &vad.frame_levels_dbfs,
                vad_config.frame_ms,
                pack.max_region_ms(vad_config.pad_ms),
            );
            let windows = pack_windows(&regions, audio.duration_ms(), vad_config.pad_ms, &pack);
            let packed_speech: u64 = windows.iter().map(|w| w.speech_ms()).sum();
            assert_eq!(
                packed_speech,
                vad.speech_ms(),
                "{call} ch{channel}: speech lost in packing"
            );
            assert!(windows.iter().all(|w| w.duration_ms <= pack.max_window_ms));
            // Nothing is cut: every region lies inside its padded piece.
            for piece in windows.iter().flat_map(|w| &w.pieces) {
                assert!(
                    piece.source_start_ms <= piece.region.start_ms
                        && piece.region.end_ms <= piece.source_end_ms
                );
            }
            // A channel's windows hold at most its speech + padding + gaps, in
            // the fewest 28 s windows that fit, give or take one.
            let fed: u64 = windows.iter().map(|w| w.duration_ms).sum();
            let minimum = fed.div_ceil(pack.max_window_ms) as usize;
            assert!(
                windows.len() <= minimum + 1,
                "{call} ch{channel}: {} windows for {fed} ms",
                windows.len()
            );
            regions_total += regions.len();
            windows_total += windows.len();
        }
    }
    eprintln!(
        "dev calls: {regions_total} speech regions packed into {windows_total} whisper windows"
    );
    assert!(
        windows_total * 3 <= regions_total,
        "packing should save most encoder passes"
    );
}
