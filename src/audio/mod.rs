//! Audio decoding: WAV (PCM, float, G.711), channels, resampling to 16 kHz mono f32.
