//! Whisper models: fetch, convert from CTranslate2, quantize, verify, locate.
