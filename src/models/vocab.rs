//! Whisper's byte-level BPE vocabulary: reading CTranslate2's `vocabulary.json` / `.txt` and
//! turning its printable token strings back into the raw bytes whisper.cpp stores.
//!
//! Hugging Face tokenizers (and so CTranslate2) spell every byte as a printable character via
//! GPT-2's byte↔unicode table; whisper.cpp (like `multilingual.tiktoken`) wants the bytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::error::{IoContext, ModelError, Result};

/// The first special token; the ggml file lists only the ordinary tokens before it
/// (whisper.cpp derives the special ones from `n_vocab`).
pub const END_OF_TEXT: &str = "<|endoftext|>";

/// CTranslate2 writes one of these next to `model.bin` (json in newer releases).
pub const VOCABULARY_FILES: [&str; 2] = ["vocabulary.json", "vocabulary.txt"];

/// GPT-2's `bytes_to_unicode`, inverted: printable character -> byte.
pub fn gpt2_unicode_to_byte() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = ('!' as u32..='~' as u32)
        .chain('¡' as u32..='¬' as u32)
        .chain('®' as u32..='ÿ' as u32)
        .collect();
    let mut chars = printable.clone();
    let mut shifted = 0;
    for b in 0..256u32 {
        if !printable.contains(&b) {
            printable.push(b);
            chars.push(256 + shifted);
            shifted += 1;
        }
    }
    printable
        .iter()
        .zip(&chars)
        .map(|(&b, &c)| (char::from_u32(c).expect("table holds valid chars"), b as u8))
        .collect()
}

/// Finds the vocabulary file in a CTranslate2 model directory.
pub fn find_vocabulary(dir: &Path) -> Result<PathBuf> {
    VOCABULARY_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| ModelError::Vocabulary {
            path: dir.to_path_buf(),
            reason: format!(
                "neither {} nor {} found",
                VOCABULARY_FILES[0], VOCABULARY_FILES[1]
            ),
        })
}

/// Reads a vocabulary file: a JSON list of strings, or one token per line.
pub fn read_vocabulary(path: &Path) -> Result<Vec<String>> {
    let bytes = std::fs::read(path).at(path)?;
    let is_json = path.extension().is_some_and(|e| e == "json");
    parse_vocabulary(&bytes, is_json).map_err(|reason| ModelError::Vocabulary {
        path: path.to_path_buf(),
        reason,
    })
}

/// Parses vocabulary file contents (see [`read_vocabulary`]).
pub fn parse_vocabulary(bytes: &[u8], is_json: bool) -> std::result::Result<Vec<String>, String> {
    if is_json {
        return serde_json::from_slice(bytes)
            .map_err(|e| format!("not a JSON list of strings: {e}"));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    // Empty lines are real tokens (Whisper's id 50256 is the empty string): keep them, and drop
    // only the piece after the final newline.
    let mut tokens: Vec<String> = text.split('\n').map(str::to_owned).collect();
    if text.ends_with('\n') {
        tokens.pop();
    }
    Ok(tokens)
}

/// The raw bytes of every ordinary token (those before `<|endoftext|>`), in id order.
pub fn bpe_token_bytes(tokens: &[String]) -> std::result::Result<Vec<Vec<u8>>, String> {
    let end = tokens
        .iter()
        .position(|t| t == END_OF_TEXT)
        .ok_or_else(|| format!("no {END_OF_TEXT} token: not a Whisper vocabulary"))?;
    let table = gpt2_unicode_to_byte();
    tokens[..end]
        .iter()
        .enumerate()
        .map(|(id, token)| {
            token
                .chars()
                .map(|c| {
                    table.get(&c).copied().ok_or_else(|| {
                        format!("token {id} ({token:?}) has {c:?}, which is not in the GPT-2 byte table")
                    })
                })
                .collect()
        })
        .collect()
}
