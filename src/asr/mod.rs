//! Speech recognition behind the `Transcriber` seam: whisper and a fixture implementation.
