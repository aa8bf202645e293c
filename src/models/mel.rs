//! The Slaney-style mel filterbank whisper.cpp expects inside a ggml model file.
//!
//! Whisper's own `mel_filters.npz` is `librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)`
//! (htk=False, norm="slaney"). CTranslate2 models do not carry it, so the converter computes it.
//! The arithmetic below repeats librosa's and numpy's operations in the same order and
//! precision (f64 throughout, the triangle stored as f32 before the f64 normalisation, the result
//! rounded to f32) so the matrix is bit-identical to the npz, not merely close.

/// Returns the `[n_mels][n_fft / 2 + 1]` filterbank, row-major.
pub fn slaney_mel_filters(sample_rate: u32, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let n_bins = n_fft / 2 + 1;
    let sr = sample_rate as f64;

    // numpy.fft.rfftfreq(n, d=1/sr): arange(n_bins) * (1 / (n * d)).
    let bin_step = 1.0 / (n_fft as f64 * (1.0 / sr));
    let fft_freqs: Vec<f64> = (0..n_bins).map(|j| j as f64 * bin_step).collect();

    // numpy.linspace(min_mel, max_mel, n_mels + 2): i * step + start, last element = stop.
    let min_mel = hz_to_mel(0.0);
    let max_mel = hz_to_mel(sr / 2.0);
    let n_points = n_mels + 2;
    let step = (max_mel - min_mel) / (n_points - 1) as f64;
    let mel_points: Vec<f64> = (0..n_points)
        .map(|i| {
            if i == n_points - 1 {
                max_mel
            } else {
                i as f64 * step + min_mel
            }
        })
        .collect();
    let mel_f: Vec<f64> = mel_points.iter().map(|&m| mel_to_hz(m)).collect();
    let fdiff: Vec<f64> = mel_f.windows(2).map(|w| w[1] - w[0]).collect();

    let mut weights = vec![0f32; n_mels * n_bins];
    for i in 0..n_mels {
        // Slaney normalisation: each triangle has unit area in Hz.
        let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for (j, &freq) in fft_freqs.iter().enumerate() {
            let lower = -(mel_f[i] - freq) / fdiff[i];
            let upper = (mel_f[i + 2] - freq) / fdiff[i + 1];
            // librosa stores the triangle in a float32 array, then multiplies it in place by
            // the float64 norm: two roundings, which we must repeat to match bit for bit.
            // `numpy.maximum(0, x)` returns x itself when x is -0.0 (it happens at [0][0], and
            // whisper's npz holds that -0.0); `f64::max` leaves the sign of zero open.
            let nearest = lower.min(upper);
            let triangle = if nearest >= 0.0 { nearest as f32 } else { 0.0 };
            weights[i * n_bins + j] = (triangle as f64 * enorm) as f32;
        }
    }
    weights
}

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;

fn min_log_mel() -> f64 {
    MIN_LOG_HZ / F_SP
}

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

/// librosa.hz_to_mel(htk=False): linear below 1 kHz, logarithmic above.
fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        min_log_mel() + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

/// librosa.mel_to_hz(htk=False), the inverse of [`hz_to_mel`].
fn mel_to_hz(mel: f64) -> f64 {
    if mel >= min_log_mel() {
        MIN_LOG_HZ * (log_step() * (mel - min_log_mel())).exp()
    } else {
        F_SP * mel
    }
}
