//! The gate in front of whisper.cpp: a ggml Whisper file is checked here, whole header and
//! tensor table, before `whisper_init` sees it.
//!
//! whisper.cpp trusts its model file. A bad `ftype` trips a `GGML_ASSERT` (abort, exit 134), a
//! huge `n_vocab` or layer count makes it allocate gigabytes and throw a C++ exception Rust cannot
//! catch, and a truncated file fails with "failed to create a new whisper context" and no cause.
//! So every field whisper.cpp acts on is held to what a released Whisper model can have, and the
//! tensor table to exactly the tensors whisper.cpp will create from those hyperparameters (names,
//! shapes, types), whose sizes must add up to the file's length. The file is read through
//! [`super::ggml::GgmlReader`] (the one ggml reader), which seeks over the tensor data: a 150 MB
//! model costs a few hundred small reads, and nothing is allocated by a size the file states
//! before that size is checked against the file's length.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::error::{ModelError, Result};
use super::ggml::{
    type_block, GgmlLayout, GgmlReader, GgmlTensor, WhisperHparams, TTYPE_F16, TTYPE_F32,
    WHISPER_N_FFT,
};

/// Frequency bins of whisper's mel filters (its FFT is fixed).
const MEL_BINS: usize = WHISPER_N_FFT / 2 + 1;

/// What whisper.cpp does with `hparams.ftype`: the thousands are the quantization version.
const QNT_VERSION_FACTOR: i32 = whisper_rs_sys::GGML_QNT_VERSION_FACTOR as i32;
const QNT_VERSION: i32 = whisper_rs_sys::GGML_QNT_VERSION as i32;

/// Byte offset of hyperparameter `i` (0 = n_vocab): after the 4-byte magic.
fn hparam_offset(i: u64) -> u64 {
    4 + 4 * i
}

/// Validates the ggml file at `path`; the layout it returns has no token bytes.
pub fn validate_file(path: &Path) -> Result<GgmlLayout> {
    let (reader, _len) = GgmlReader::open(path)?;
    validate_from(reader)
}

/// Validates a ggml file held in memory; `path` names it in errors.
pub fn validate_bytes(bytes: &[u8], path: &Path) -> Result<GgmlLayout> {
    validate_from(GgmlReader::new(
        std::io::Cursor::new(bytes),
        bytes.len() as u64,
        path,
    ))
}

fn validate_from<R: std::io::Read + std::io::Seek>(
    mut reader: GgmlReader<R>,
) -> Result<GgmlLayout> {
    let hp = reader.read_hparams()?;
    let weight_type = check_hparams(&hp).map_err(|(i, reason)| {
        reader.damaged(hparam_offset(i), format!("hyperparameter {reason}"))
    })?;
    let mel_offset = reader.position();
    let expected = expected_tensors(&hp, weight_type);
    let mut seen: HashSet<String> = HashSet::with_capacity(expected.len());
    let path = reader.path().to_path_buf();
    let damaged = |offset: u64, reason: String| ModelError::damaged(path.clone(), offset, reason);
    let layout = reader.read_body_checked(hp, false, &mut |t| {
        check_tensor(t, &expected, &mut seen, hp.ftype)
            .map_err(|reason| damaged(t.header_offset as u64, reason))
    })?;

    let (n_mel, n_bins) = layout.mel_shape;
    if n_mel != hp.n_mels as usize || n_bins != MEL_BINS {
        return Err(damaged(
            mel_offset,
            format!(
                "the mel filters are {n_mel} × {n_bins}, expected {} × {MEL_BINS} (n_mels × FFT bins)",
                hp.n_mels
            ),
        ));
    }
    let vocab_offset = mel_offset + 8 + (n_mel * n_bins * 4) as u64;
    if layout.vocab_count == 0 || layout.vocab_count > hp.n_vocab as usize {
        return Err(damaged(
            vocab_offset,
            format!(
                "the vocabulary holds {} tokens, expected 1 to n_vocab = {}",
                layout.vocab_count, hp.n_vocab
            ),
        ));
    }
    if seen.len() != expected.len() {
        let mut missing: Vec<&str> = expected
            .keys()
            .map(String::as_str)
            .filter(|name| !seen.contains(*name))
            .collect();
        missing.sort_unstable();
        let end = layout
            .tensors
            .last()
            .map_or(layout.tensors_start, |t| t.data.end);
        return Err(damaged(
            end as u64,
            format!(
                "the file ends after {} of the {} tensors a model with these hyperparameters has \
                 (missing: {}{}): the file is truncated or incomplete",
                seen.len(),
                expected.len(),
                missing
                    .iter()
                    .take(3)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
                if missing.len() > 3 { ", ..." } else { "" }
            ),
        ));
    }
    Ok(layout)
}

/// One tensor entry against what whisper.cpp will create: known name, first time seen, same
/// shape, same type.
fn check_tensor(
    t: &GgmlTensor,
    expected: &HashMap<String, ([usize; 4], u32)>,
    seen: &mut HashSet<String>,
    ftype: i32,
) -> std::result::Result<(), String> {
    let Some((want_ne, want_type)) = expected.get(t.name.as_str()) else {
        return Err(format!(
            "unknown tensor `{}` (not part of a Whisper model with these hyperparameters)",
            t.name.escape_debug()
        ));
    };
    if !seen.insert(t.name.clone()) {
        return Err(format!("tensor `{}` appears twice", t.name));
    }
    let mut ne = [1usize; 4];
    ne[..t.ne.len()].copy_from_slice(&t.ne);
    if &ne != want_ne {
        return Err(format!(
            "tensor `{}` has shape {:?}, expected {:?} from the hyperparameters",
            t.name,
            t.ne,
            trim_ones(want_ne)
        ));
    }
    if t.ttype != *want_type {
        return Err(format!(
            "tensor `{}` is stored as ggml type {}, whisper.cpp reads it as type {want_type} for \
             ftype {ftype}",
            t.name, t.ttype
        ));
    }
    Ok(())
}

fn trim_ones(ne: &[usize; 4]) -> Vec<usize> {
    let len = ne.iter().rposition(|&d| d != 1).map_or(1, |i| i + 1);
    ne[..len].to_vec()
}

/// Holds each hyperparameter to what released Whisper models have (generously where whisper.cpp
/// does not care), so nothing derived from them can overflow or exhaust memory. Returns the
/// ggml type of the weight matrices, or the index of the bad field and why.
fn check_hparams(hp: &WhisperHparams) -> std::result::Result<u32, (u64, String)> {
    let within = |i: u64, name: &str, value: i32, lo: i32, hi: i32, why: &str| {
        if (lo..=hi).contains(&value) {
            Ok(())
        } else {
            Err((
                i,
                format!("{name} is {value}, expected {lo} to {hi} ({why})"),
            ))
        }
    };
    // whisper.cpp finds its special tokens (end of text, languages, timestamps) at fixed ids
    // counted from the vocabulary size of the released models: 51864 (.en), 51865, 51866 (v3).
    within(
        0,
        "n_vocab",
        hp.n_vocab,
        51_864,
        51_866,
        "a Whisper vocabulary",
    )?;
    within(1, "n_audio_ctx", hp.n_audio_ctx, 1, 1500, "30 s of audio")?;
    within(
        2,
        "n_audio_state",
        hp.n_audio_state,
        1,
        4096,
        "released models: 384 to 1280",
    )?;
    within(
        3,
        "n_audio_head",
        hp.n_audio_head,
        1,
        64,
        "released models: 6 to 20",
    )?;
    within(
        4,
        "n_audio_layer",
        hp.n_audio_layer,
        1,
        64,
        "released models: 4 to 32",
    )?;
    within(
        5,
        "n_text_ctx",
        hp.n_text_ctx,
        1,
        1024,
        "released models: 448",
    )?;
    within(
        6,
        "n_text_state",
        hp.n_text_state,
        1,
        4096,
        "released models: 384 to 1280",
    )?;
    within(
        7,
        "n_text_head",
        hp.n_text_head,
        1,
        64,
        "released models: 6 to 20",
    )?;
    within(
        8,
        "n_text_layer",
        hp.n_text_layer,
        1,
        64,
        "released models: 2 to 32",
    )?;
    if hp.n_mels != 80 && hp.n_mels != 128 {
        return Err((9, format!("n_mels is {}, expected 80 or 128", hp.n_mels)));
    }
    if hp.n_audio_state % hp.n_audio_head != 0 {
        return Err((
            3,
            format!(
                "n_audio_head is {}, which does not divide n_audio_state {}",
                hp.n_audio_head, hp.n_audio_state
            ),
        ));
    }
    if hp.n_text_state % hp.n_text_head != 0 {
        return Err((
            7,
            format!(
                "n_text_head is {}, which does not divide n_text_state {}",
                hp.n_text_head, hp.n_text_state
            ),
        ));
    }
    // whisper.cpp's cross attention multiplies encoder output by decoder weights.
    if hp.n_text_state != hp.n_audio_state {
        return Err((
            6,
            format!(
                "n_text_state is {} but n_audio_state is {}; whisper.cpp needs them equal",
                hp.n_text_state, hp.n_audio_state
            ),
        ));
    }
    let ftype_problem = |why: String| Err((10, format!("ftype is {}: {why}", hp.ftype)));
    if hp.ftype < 0 || hp.ftype / QNT_VERSION_FACTOR > QNT_VERSION {
        return ftype_problem(format!(
            "expected a ggml file type, plus {QNT_VERSION_FACTOR} × a quantization version up to \
             {QNT_VERSION}"
        ));
    }
    let Some(wtype) = weight_type(hp.ftype % QNT_VERSION_FACTOR) else {
        return ftype_problem(
            "not a ggml file type whisper.cpp can load (f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0, \
             q2_k to q6_k)"
                .into(),
        );
    };
    // A quantized row is whole blocks: whisper.cpp would assert on a partial one.
    let (block, _) = type_block(wtype).expect("weight_type returns known types");
    if !(hp.n_audio_state as usize).is_multiple_of(block) {
        return ftype_problem(format!(
            "its weights come in blocks of {block}, which do not divide n_audio_state {}",
            hp.n_audio_state
        ));
    }
    Ok(wtype)
}

/// ggml's `ggml_ftype_to_ggml_type`, for the types [`type_block`] knows; `None` where ggml
/// would assert (unknown or retired file types).
#[allow(clippy::unnecessary_cast)] // bindgen's enum types are signed or unsigned by platform
fn weight_type(ftype: i32) -> Option<u32> {
    use whisper_rs_sys as g;
    let table = [
        (g::ggml_ftype_GGML_FTYPE_ALL_F32, g::ggml_type_GGML_TYPE_F32),
        (
            g::ggml_ftype_GGML_FTYPE_MOSTLY_F16,
            g::ggml_type_GGML_TYPE_F16,
        ),
        (
            g::ggml_ftype_GGML_FTYPE_MOSTLY_Q4_0,
            g::ggml_type_GGML_TYPE_Q4_0,
        ),
        (
            g::ggml_ftype_GGML_FTYPE_MOSTLY_Q4_1,
            g::ggml_type_GGML_TYPE_Q4_1,
        ),
        (
            g::ggml_ftype_GGML_FTYPE_MOSTLY_Q5_0,
            g::ggml_type_GGML_TYPE_Q5_0,
        ),
        (
            g::ggml_ftype_GGML_FTYPE_MOSTLY_Q5_1,
            g::ggml_type_GGML_TYPE_Q5_1,
        ),
        (
            g::ggml_ftype_GGML_FTYPE_MOSTLY_Q8_0,
            g::ggml_type_GGML_TYPE_Q8_0,
        ),
        (
            g::ggml_ftype_GGML_FTYPE_MOSTLY_Q2_K,
            g::ggml_type_GGML_TYPE_Q2_K,
        ),
        (
            g::ggml_ftype_GGML_FTYPE_MOSTLY_Q3_K,
            g::ggml_type_GGML_TYPE_Q3_K,
        ),
        (
            g::ggml_ftype_GGML_FTYPE_MOSTLY_Q4_K,
            g::ggml_type_GGML_TYPE_Q4_K,
        ),
        (
            g::ggml_ftype_GGML_FTYPE_MOSTLY_Q5_K,
            g::ggml_type_GGML_TYPE_Q5_K,
        ),
        (
            g::ggml_ftype_GGML_FTYPE_MOSTLY_Q6_K,
            g::ggml_type_GGML_TYPE_Q6_K,
        ),
    ];
    table
        .iter()
        .find(|(f, _)| *f as i64 == ftype as i64)
        .map(|&(_, t)| t as u32)
        .filter(|&t| type_block(t).is_some())
}

/// The tensors whisper.cpp's `whisper_model_load` creates for these hyperparameters, by name:
/// shape in ggml order (padded with ones to 4 dimensions) and the ggml type it reads.
fn expected_tensors(hp: &WhisperHparams, wtype: u32) -> HashMap<String, ([usize; 4], u32)> {
    // Bounded by check_hparams, so none of these products can overflow.
    let u = |v: i32| v as usize;
    let (s, t) = (u(hp.n_audio_state), u(hp.n_text_state));
    // Convolutions stay f16 in quantized files (they are 3-D; the quantizer takes 2-D only).
    let vtype = if wtype == TTYPE_F32 {
        TTYPE_F32
    } else {
        TTYPE_F16
    };
    let mut out = HashMap::new();
    let mut add = |name: String, ne: &[usize], ttype: u32| {
        let mut shape = [1usize; 4];
        shape[..ne.len()].copy_from_slice(ne);
        out.insert(name, (shape, ttype));
    };
    let f32 = TTYPE_F32;
    add(
        "encoder.positional_embedding".into(),
        &[s, u(hp.n_audio_ctx)],
        f32,
    );
    add("encoder.conv1.weight".into(), &[3, u(hp.n_mels), s], vtype);
    add("encoder.conv1.bias".into(), &[1, s], f32);
    add("encoder.conv2.weight".into(), &[3, s, s], vtype);
    add("encoder.conv2.bias".into(), &[1, s], f32);
    add("encoder.ln_post.weight".into(), &[s], f32);
    add("encoder.ln_post.bias".into(), &[s], f32);
    let block = |add: &mut dyn FnMut(String, &[usize], u32), p: &str, n: usize| {
        add(format!("{p}.mlp_ln.weight"), &[n], f32);
        add(format!("{p}.mlp_ln.bias"), &[n], f32);
        add(format!("{p}.mlp.0.weight"), &[n, 4 * n], wtype);
        add(format!("{p}.mlp.0.bias"), &[4 * n], f32);
        add(format!("{p}.mlp.2.weight"), &[4 * n, n], wtype);
        add(format!("{p}.mlp.2.bias"), &[n], f32);
        add(format!("{p}.attn_ln.weight"), &[n], f32);
        add(format!("{p}.attn_ln.bias"), &[n], f32);
        attention(add, &format!("{p}.attn"), n, wtype);
    };
    for i in 0..u(hp.n_audio_layer) {
        block(&mut add, &format!("encoder.blocks.{i}"), s);
    }
    add(
        "decoder.positional_embedding".into(),
        &[t, u(hp.n_text_ctx)],
        f32,
    );
    add(
        "decoder.token_embedding.weight".into(),
        &[t, u(hp.n_vocab)],
        wtype,
    );
    add("decoder.ln.weight".into(), &[t], f32);
    add("decoder.ln.bias".into(), &[t], f32);
    for i in 0..u(hp.n_text_layer) {
        let p = format!("decoder.blocks.{i}");
        block(&mut add, &p, t);
        add(format!("{p}.cross_attn_ln.weight"), &[t], f32);
        add(format!("{p}.cross_attn_ln.bias"), &[t], f32);
        attention(&mut add, &format!("{p}.cross_attn"), t, wtype);
    }
    out
}

/// Query, key (no bias), value and output projections of one attention.
fn attention(add: &mut dyn FnMut(String, &[usize], u32), p: &str, n: usize, wtype: u32) {
    for (proj, bias) in [
        ("query", true),
        ("key", false),
        ("value", true),
        ("out", true),
    ] {
        add(format!("{p}.{proj}.weight"), &[n, n], wtype);
        if bias {
            add(format!("{p}.{proj}.bias"), &[n], TTYPE_F32);
        }
    }
}
