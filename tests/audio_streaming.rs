//! Streaming a long recording: a 10-minute file generated on the fly decodes
//! block by block into exactly the samples whole-file decoding gives, every
//! block is bounded, and the heap the stream uses stays a small fraction of
//! the decoded recording. This binary holds a single test because it counts
//! every allocation in the process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};

use callqa::audio::{decode_file, AudioStream, DecodeOptions};

struct CountingAllocator;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let live = LIVE_BYTES.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK_BYTES.fetch_max(live, Ordering::SeqCst);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            if new_size >= layout.size() {
                let live = LIVE_BYTES.fetch_add(new_size - layout.size(), Ordering::SeqCst)
                    + new_size
                    - layout.size();
                PEAK_BYTES.fetch_max(live, Ordering::SeqCst);
            } else {
                LIVE_BYTES.fetch_sub(layout.size() - new_size, Ordering::SeqCst);
            }
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const RATE: u32 = 8000;
const MINUTES: usize = 10;
const FRAMES: usize = MINUTES * 60 * RATE as usize;

/// The test signal at time `t` seconds: two tones, so any misplaced sample shows.
fn signal(t: f64) -> f64 {
    use std::f64::consts::TAU;
    0.4 * (TAU * 1000.0 * t).sin() + 0.2 * (TAU * 317.0 * t).sin()
}

fn fingerprint(samples: &[f32]) -> u64 {
    let mut hasher = DefaultHasher::new();
    for sample in samples {
        sample.to_bits().hash(&mut hasher);
    }
    hasher.finish()
}

/// Largest difference from the test signal sampled at 16 kHz, skipping the
/// filter's edge effects at the very start and end of the recording.
fn worst_error(samples: &[f32], first_index: usize, total: usize) -> f32 {
    samples
        .iter()
        .enumerate()
        .map(|(i, &s)| (first_index + i, s))
        .filter(|&(index, _)| index >= 1600 && index + 1600 < total)
        .map(|(index, s)| (s - signal(index as f64 / 16_000.0) as f32).abs())
        .fold(0.0, f32::max)
}

#[test]
fn a_ten_minute_recording_streams_in_bounded_blocks_identical_to_whole_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long-call.wav");
    // Written sample by sample: the test never holds the recording either.
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&path, spec).unwrap();
    for i in 0..FRAMES {
        writer
            .write_sample((signal(i as f64 / RATE as f64) * 32768.0).round() as i16)
            .unwrap();
    }
    writer.finalize().unwrap();
    let total = 2 * FRAMES; // samples at 16 kHz

    // Pass 1: stream, discarding blocks after checking them.
    let options = DecodeOptions::default();
    let baseline = LIVE_BYTES.load(Ordering::SeqCst);
    PEAK_BYTES.store(baseline, Ordering::SeqCst);
    let mut stream = AudioStream::open_with(&path, &options).unwrap();
    assert_eq!(stream.block_len(), 480_000, "30 s blocks at 16 kHz");
    assert_eq!(stream.output_len_hint(), total as u64);
    let mut fingerprints = Vec::new();
    let mut next_start = 0usize;
    while let Some(block) = stream.next_block().unwrap() {
        assert_eq!(
            block.start_sample, next_start as u64,
            "blocks are contiguous"
        );
        assert_eq!(block.channels.len(), 1);
        let len = block.len();
        assert!(
            len == 480_000 || next_start + len == total,
            "only the last block may be short: {len} at {next_start}"
        );
        let error = worst_error(&block.channels[0], next_start, total);
        assert!(
            error < 1e-3,
            "block at {} ms is off the signal by {error}",
            block.start_ms()
        );
        fingerprints.push(fingerprint(&block.channels[0]));
        next_start += len;
    }
    assert_eq!(
        next_start, total,
        "the blocks add up to the whole recording"
    );
    assert_eq!(stream.source().duration_ms, (MINUTES * 60_000) as u64);
    drop(stream);
    let stream_peak = PEAK_BYTES.load(Ordering::SeqCst) - baseline;

    // Pass 2: the same file decoded whole.
    let whole = decode_file(&path).unwrap();
    assert_eq!(whole.len(), total);
    let whole_bytes = total * std::mem::size_of::<f32>();
    let whole_fingerprints: Vec<u64> = whole.channels[0].chunks(480_000).map(fingerprint).collect();
    assert_eq!(
        fingerprints, whole_fingerprints,
        "streaming and whole-file decoding give identical samples"
    );

    // One 30 s block is 1.9 MB; the whole recording at 16 kHz is 38 MB.
    assert!(
        stream_peak < 8 << 20 && stream_peak * 4 < whole_bytes,
        "the stream's heap peaked at {stream_peak} bytes (whole recording: {whole_bytes} bytes)"
    );
    eprintln!("stream heap peak {stream_peak} bytes; whole recording {whole_bytes} bytes");
}
