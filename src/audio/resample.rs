//! Band-limited sample-rate conversion of one channel to 16 kHz (any rate in).
//!
//! A streaming polyphase windowed-sinc resampler: the ideal low-pass kernel
//! `sinc` cut at 92 % of the lower of the two Nyquist frequencies, Kaiser
//! window (β = 8, ≈ 80 dB stop-band), 40 zero crossings on each side. For
//! telephone audio (8 kHz in) that keeps 0–3.4 kHz flat and removes images
//! above 3.93 kHz; for 44.1/48 kHz in it keeps speech up to ≈ 6.8 kHz and
//! removes everything that would alias above 8 kHz.
//!
//! Why our own and not the `rubato` crate: the rubato release in the registry
//! (5.x) needs Rust 1.87 while this crate promises 1.80, and we need a
//! resampler whose output does not depend on how the input is chunked, so
//! that streaming a 4-hour file block by block gives bit-identical samples to
//! decoding it whole. A polyphase FIR does that by construction: every output
//! sample is one dot product over a fixed window of input samples, whatever
//! the chunk boundaries were.
//!
//! Timing: output sample `k` sits exactly at input time `k · in_rate / 16000`
//! (a zero-phase, non-causal filter), so utterance times measured on the
//! 16 kHz signal equal times on the original. Input before the start and
//! after the end is taken as silence; the output has `ceil(n · 16000 / rate)`
//! samples for `n` input samples.

/// The fraction of the lower Nyquist frequency where the pass band's −6 dB
/// point sits (the transition band is centred on it).
const CUTOFF_FRACTION: f64 = 0.92;
/// Zero crossings of the (cutoff-scaled) sinc on each side of the centre tap.
const ZERO_CROSSINGS: f64 = 40.0;
/// Kaiser window shape: β = 8 gives ≈ 80 dB side-lobe attenuation.
const KAISER_BETA: f64 = 8.0;
/// Largest polyphase table we precompute (phases × taps floats, here 8 MB);
/// odd rate pairs with more phases interpolate the kernel instead.
const MAX_TABLE_COEFFICIENTS: usize = 2 << 20;
/// Kernel table resolution (points per input sample) for odd rate pairs.
const KERNEL_OVERSAMPLING: usize = 1024;

/// Converts one channel from `from_rate` to `to_rate` in a stream of chunks.
///
/// Feed input with [`Resampler::process`] as it arrives, then call
/// [`Resampler::finish`] once to get the tail. The concatenated output does
/// not depend on how the input was split into chunks.
#[derive(Debug, Clone)]
pub struct Resampler {
    from_rate: u32,
    to_rate: u32,
    /// Upsampling factor L and downsampling factor M of the reduced ratio L/M.
    up: u64,
    down: u64,
    filter: Option<Filter>,
    /// Input samples still needed, starting at absolute input index `history_start`
    /// (negative indices are the virtual silence before the start).
    history: Vec<f32>,
    history_start: i64,
    /// Input index and phase (0..L) of the next output sample.
    next_position: i64,
    next_phase: u64,
    input_seen: u64,
    output_made: u64,
    finished: bool,
}

/// The FIR kernel as the resampler uses it: for phase `p` the output at input
/// time `t = position + p/L` is `Σ_i coeff[p][i] · x[position − half + 1 + i]`.
#[derive(Debug, Clone)]
struct Filter {
    /// Taps per phase is `2 · half_taps`.
    half_taps: usize,
    kernel: Kernel,
    /// Coefficients of the current phase when they are computed per sample.
    scratch: Vec<f32>,
}

#[derive(Debug, Clone)]
enum Kernel {
    /// All L phases precomputed, phase-major.
    Table(Vec<f32>),
    /// The continuous kernel sampled every 1/KERNEL_OVERSAMPLING input samples
    /// on τ ≥ 0 (it is even), linearly interpolated per output sample.
    Interpolated(Vec<f64>),
}

impl Resampler {
    /// A resampler from `from_rate` Hz to `to_rate` Hz (both non-zero).
    pub fn new(from_rate: u32, to_rate: u32) -> Self {
        assert!(
            from_rate > 0 && to_rate > 0,
            "sample rates must be positive"
        );
        let divisor = gcd(from_rate as u64, to_rate as u64);
        let up = to_rate as u64 / divisor;
        let down = from_rate as u64 / divisor;
        let filter = (from_rate != to_rate).then(|| Filter::design(from_rate, to_rate, up));
        let half_taps = filter.as_ref().map_or(0, |f| f.half_taps);
        // Pre-fill the silence before the first sample so the first outputs see zeros.
        let lead_in = half_taps.saturating_sub(1);
        Resampler {
            from_rate,
            to_rate,
            up,
            down,
            filter,
            history: vec![0.0; lead_in],
            history_start: -(lead_in as i64),
            next_position: 0,
            next_phase: 0,
            input_seen: 0,
            output_made: 0,
            finished: false,
        }
    }

    pub fn from_rate(&self) -> u32 {
        self.from_rate
    }

    pub fn to_rate(&self) -> u32 {
        self.to_rate
    }

    /// Output samples that `input_len` input samples become in total.
    pub fn output_len_for(&self, input_len: u64) -> u64 {
        (input_len * self.up).div_ceil(self.down)
    }

    /// Input samples buffered inside (bounded by the filter length plus the last chunk).
    pub fn buffered_len(&self) -> usize {
        self.history.len()
    }

    /// Appends the output that `input` makes available to `output`.
    pub fn process(&mut self, input: &[f32], output: &mut Vec<f32>) {
        assert!(!self.finished, "Resampler::process after finish");
        self.input_seen += input.len() as u64;
        if self.filter.is_none() {
            output.extend_from_slice(input);
            self.output_made += input.len() as u64;
            return;
        }
        self.history.extend_from_slice(input);
        self.produce(
            self.history_start + self.history.len() as i64,
            u64::MAX,
            output,
        );
    }

    /// Ends the stream: appends the remaining output (the input is taken as
    /// silence past its end).
    pub fn finish(&mut self, output: &mut Vec<f32>) {
        if self.finished {
            return;
        }
        self.finished = true;
        let Some(filter) = &self.filter else { return };
        self.history
            .extend(std::iter::repeat(0.0).take(filter.half_taps + 1));
        let total_output = self.output_len_for(self.input_seen);
        self.produce(
            self.history_start + self.history.len() as i64,
            total_output,
            output,
        );
    }

    /// Makes every output sample whose filter window ends before input index
    /// `available_end`, stopping at `output_limit` samples in total.
    fn produce(&mut self, available_end: i64, output_limit: u64, output: &mut Vec<f32>) {
        let Some(filter) = self.filter.as_mut() else {
            return;
        };
        let half = filter.half_taps as i64;
        let whole_step = (self.down / self.up) as i64;
        let phase_step = self.down % self.up;
        while self.output_made < output_limit && self.next_position + half < available_end {
            let window_start = (self.next_position - half + 1 - self.history_start) as usize;
            let window = &self.history[window_start..window_start + 2 * filter.half_taps];
            let coefficients = filter.coefficients(self.next_phase, self.up);
            output.push(dot(window, coefficients));
            self.output_made += 1;
            self.next_position += whole_step;
            self.next_phase += phase_step;
            if self.next_phase >= self.up {
                self.next_phase -= self.up;
                self.next_position += 1;
            }
        }
        // Drop input no future output sample will read.
        let first_needed = self.next_position - half + 1;
        let droppable =
            (first_needed - self.history_start).clamp(0, self.history.len() as i64) as usize;
        if droppable > 0 {
            self.history.drain(..droppable);
            self.history_start += droppable as i64;
        }
    }
}

impl Filter {
    fn design(from_rate: u32, to_rate: u32, up: u64) -> Self {
        // Cutoff as a fraction of the *input* sample rate's Nyquist band (1 = from_rate / 2).
        let cutoff = CUTOFF_FRACTION * (to_rate as f64 / from_rate as f64).min(1.0);
        let support = ZERO_CROSSINGS / cutoff; // kernel half-width in input samples
        let half_taps = support.ceil() as usize;
        let taps = 2 * half_taps;
        let phases = up as usize;
        let kernel = if phases.saturating_mul(taps) <= MAX_TABLE_COEFFICIENTS {
            let mut table = Vec::with_capacity(phases * taps);
            for phase in 0..phases {
                let fraction = phase as f64 / phases as f64;
                let start = table.len();
                table.extend((0..taps).map(|i| {
                    let tau = fraction - (i as f64 - (half_taps as f64 - 1.0));
                    kernel_value(tau, cutoff, support) as f32
                }));
                normalise_dc_gain(&mut table[start..]);
            }
            Kernel::Table(table)
        } else {
            let points = (support * KERNEL_OVERSAMPLING as f64).ceil() as usize + 2;
            Kernel::Interpolated(
                (0..points)
                    .map(|i| kernel_value(i as f64 / KERNEL_OVERSAMPLING as f64, cutoff, support))
                    .collect(),
            )
        };
        Filter {
            half_taps,
            kernel,
            scratch: vec![0.0; taps],
        }
    }

    fn coefficients(&mut self, phase: u64, phases: u64) -> &[f32] {
        let taps = 2 * self.half_taps;
        match &self.kernel {
            Kernel::Table(table) => {
                let start = phase as usize * taps;
                &table[start..start + taps]
            }
            Kernel::Interpolated(samples) => {
                let fraction = phase as f64 / phases as f64;
                let last = samples.len() - 1;
                for (i, slot) in self.scratch.iter_mut().enumerate() {
                    let tau = (fraction - (i as f64 - (self.half_taps as f64 - 1.0))).abs();
                    let at = tau * KERNEL_OVERSAMPLING as f64;
                    let index = (at.floor() as usize).min(last - 1);
                    let weight = at - index as f64;
                    *slot = (samples[index] * (1.0 - weight) + samples[index + 1] * weight) as f32;
                }
                normalise_dc_gain(&mut self.scratch);
                &self.scratch
            }
        }
    }
}

/// The windowed-sinc low-pass at time offset `tau` (input samples).
fn kernel_value(tau: f64, cutoff: f64, support: f64) -> f64 {
    if tau.abs() >= support {
        return 0.0;
    }
    let x = cutoff * tau;
    let sinc = if x.abs() < 1e-12 {
        1.0
    } else {
        (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
    };
    let relative = tau / support;
    let window =
        bessel_i0(KAISER_BETA * (1.0 - relative * relative).sqrt()) / bessel_i0(KAISER_BETA);
    cutoff * sinc * window
}

/// Scales the taps of one phase to sum to 1, so a constant input comes out
/// unchanged (no DC ripple between phases).
fn normalise_dc_gain(taps: &mut [f32]) {
    let sum: f64 = taps.iter().map(|&c| c as f64).sum();
    if sum.abs() > 1e-9 {
        for c in taps.iter_mut() {
            *c = (*c as f64 / sum) as f32;
        }
    }
}

/// Modified Bessel function of the first kind, order 0 (power series; the
/// terms fall off fast enough for β ≤ 20).
fn bessel_i0(x: f64) -> f64 {
    let half = x / 2.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..64 {
        term *= (half / k as f64) * (half / k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Dot product with eight independent accumulators, so the optimiser can keep
/// them in one SIMD register; the summation order depends only on the slices.
/// Written out over fixed-size arrays so that unoptimised (test) builds, which
/// spend most of their time here, do not pay for an inner loop as well.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut lanes = [0.0f32; 8];
    let a_chunks = a.chunks_exact(8);
    let b_chunks = b.chunks_exact(8);
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        let x: &[f32; 8] = x.try_into().unwrap();
        let y: &[f32; 8] = y.try_into().unwrap();
        lanes[0] += x[0] * y[0];
        lanes[1] += x[1] * y[1];
        lanes[2] += x[2] * y[2];
        lanes[3] += x[3] * y[3];
        lanes[4] += x[4] * y[4];
        lanes[5] += x[5] * y[5];
        lanes[6] += x[6] * y[6];
        lanes[7] += x[7] * y[7];
    }
    ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5]))
        + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]))
        + tail
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, frequency: f64, amplitude: f64, len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| {
                (amplitude
                    * (2.0 * std::f64::consts::PI * frequency * i as f64 / rate as f64).sin())
                    as f32
            })
            .collect()
    }

    fn resample_whole(from: u32, to: u32, input: &[f32]) -> Vec<f32> {
        let mut resampler = Resampler::new(from, to);
        let mut out = Vec::new();
        resampler.process(input, &mut out);
        resampler.finish(&mut out);
        out
    }

    fn rms(samples: &[f32]) -> f64 {
        (samples.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
    }

    #[test]
    fn output_length_is_ceil_of_the_rate_ratio() {
        for (from, n) in [
            (8000, 8001usize),
            (22050, 22050),
            (44100, 1000),
            (48000, 7),
            (11025, 3),
            (16000, 5),
        ] {
            let out = resample_whole(from, 16000, &vec![0.1; n]);
            assert_eq!(
                out.len() as u64,
                (n as u64 * 16000).div_ceil(from as u64),
                "{from} Hz × {n}"
            );
        }
    }

    #[test]
    fn same_rate_is_an_exact_copy() {
        let input = sine(16000, 1000.0, 0.5, 1234);
        assert_eq!(resample_whole(16000, 16000, &input), input);
    }

    #[test]
    fn constant_input_stays_constant_away_from_the_edges() {
        for from in [8000, 22050, 44100, 48000, 12345] {
            let out = resample_whole(from, 16000, &vec![0.25; from as usize]);
            for &s in &out[1000..out.len() - 1000] {
                assert!((s - 0.25).abs() < 1e-4, "{from} Hz: {s}");
            }
        }
    }

    #[test]
    fn a_sine_keeps_its_samples_at_the_new_rate() {
        // The output must be the same sine sampled at 16 kHz, with no delay.
        for from in [8000u32, 11025, 22050, 44100, 48000, 12345, 44101, 96000] {
            let input = sine(from, 1000.0, 0.5, from as usize);
            let out = resample_whole(from, 16000, &input);
            let expected = sine(16000, 1000.0, 0.5, out.len());
            let worst = out[800..out.len() - 800]
                .iter()
                .zip(&expected[800..])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-4, "{from} Hz: worst sample error {worst}");
        }
    }

    #[test]
    fn tones_above_the_new_nyquist_are_removed_not_folded() {
        // Dropping samples would fold 12 kHz at 48 kHz onto 4 kHz at full level.
        for (from, tone) in [
            (48000u32, 12000.0),
            (44100, 9000.0),
            (22050, 8500.0),
            (32000, 10000.0),
            (44101, 9000.0),
        ] {
            let input = sine(from, tone, 0.5, from as usize);
            let out = resample_whole(from, 16000, &input);
            let level = rms(&out[1600..out.len() - 1600]);
            let db = 20.0 * (level / (0.5 / 2f64.sqrt())).log10();
            assert!(db < -80.0, "{from} Hz, {tone} Hz tone leaks at {db:.1} dB");
        }
    }

    #[test]
    fn the_telephone_band_and_the_speech_band_stay_flat() {
        // 0.3–3.4 kHz from 8 kHz telephone audio; up to 6.5 kHz from 44.1/48 kHz.
        for (from, tones) in [
            (8000u32, &[300.0, 1000.0, 3000.0, 3400.0][..]),
            (48000, &[300.0, 4000.0, 6500.0][..]),
            (44100, &[6500.0][..]),
        ] {
            for &tone in tones {
                let out = resample_whole(from, 16000, &sine(from, tone, 0.5, from as usize));
                let gain_db =
                    20.0 * (rms(&out[1600..out.len() - 1600]) / (0.5 / 2f64.sqrt())).log10();
                assert!(
                    gain_db.abs() < 0.1,
                    "{from} Hz in, {tone} Hz: gain {gain_db:.3} dB"
                );
            }
        }
    }

    #[test]
    fn upsampling_leaves_no_images() {
        // 8 kHz → 16 kHz: a 3 kHz tone must not come with an image at 5 kHz.
        let input = sine(8000, 3000.0, 0.5, 8000);
        let out = resample_whole(8000, 16000, &input);
        let body = &out[1600..out.len() - 1600];
        let expected = sine(16000, 3000.0, 0.5, out.len());
        let residual: Vec<f32> = body
            .iter()
            .zip(&expected[1600..])
            .map(|(a, b)| a - b)
            .collect();
        let db = 20.0 * (rms(&residual) / rms(body)).log10();
        assert!(db < -75.0, "image/residual at {db:.1} dB");
    }

    #[test]
    fn chunking_does_not_change_a_single_sample() {
        for from in [8000u32, 44100, 12345] {
            let input = sine(from, 440.0, 0.3, 3 * from as usize + 17);
            let whole = resample_whole(from, 16000, &input);
            for chunk in [1usize, 7, 160, 4096] {
                let mut resampler = Resampler::new(from, 16000);
                let mut out = Vec::new();
                for piece in input.chunks(chunk) {
                    resampler.process(piece, &mut out);
                    assert!(resampler.buffered_len() <= chunk + 2 * 300, "history grows");
                }
                resampler.finish(&mut out);
                assert_eq!(out, whole, "{from} Hz in chunks of {chunk}");
            }
        }
    }

    #[test]
    fn odd_rate_pairs_use_the_interpolated_kernel() {
        let resampler = Resampler::new(44101, 16000);
        assert!(matches!(
            resampler.filter.as_ref().unwrap().kernel,
            Kernel::Interpolated(_)
        ));
        let resampler = Resampler::new(44100, 16000);
        assert!(matches!(
            resampler.filter.as_ref().unwrap().kernel,
            Kernel::Table(_)
        ));
    }
}
