//! whisper.cpp's ggml model file: writing one from a CTranslate2 Whisper model, and reading one
//! back (header, vocabulary, tensor directory) for verification and quantization.
//!
//! Layout (whisper.cpp `whisper_model_load`, `models/convert-pt-to-ggml.py`): magic
//! `0x67676d6c`; 11 × i32 hparams; mel filters `i32 n_mel, i32 n_bins, f32[n_mel × n_bins]`;
//! vocabulary `i32 n` then `u32 len, bytes` per token; then per tensor `i32 n_dims,
//! i32 name_len, i32 ttype, i32 dims[n_dims] (reversed), name, data`.

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::ct2::{Ct2DType, Ct2Model, Ct2Variable, WHISPER_SPEC};
use super::error::{IoContext, ModelError, Result};
use super::mel::slaney_mel_filters;

pub const GGML_MAGIC: u32 = 0x6767_6d6c;
/// `hparams.ftype` of an f16 model; quantized files add `GGML_QNT_VERSION * 1000`.
pub const FTYPE_MOSTLY_F16: i32 = 1;
pub const TTYPE_F32: u32 = 0;
pub const TTYPE_F16: u32 = 1;

/// Whisper's audio front end is fixed: 16 kHz, 25 ms windows.
pub const WHISPER_SAMPLE_RATE: u32 = 16_000;
pub const WHISPER_N_FFT: usize = 400;

/// Bytes before the mel filters: magic + 11 hparams.
const HPARAMS_END: usize = 4 + 11 * 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WhisperHparams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

impl WhisperHparams {
    fn as_array(&self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    fn from_array(a: [i32; 11]) -> Self {
        Self {
            n_vocab: a[0],
            n_audio_ctx: a[1],
            n_audio_state: a[2],
            n_audio_head: a[3],
            n_audio_layer: a[4],
            n_text_ctx: a[5],
            n_text_state: a[6],
            n_text_head: a[7],
            n_text_layer: a[8],
            n_mels: a[9],
            ftype: a[10],
        }
    }

    /// The usual name of a Whisper model with these dimensions ("base", "small.en", ...), or
    /// "custom" when the encoder matches no released size.
    pub fn size_name(&self) -> String {
        let size = match (self.n_audio_layer, self.n_audio_state) {
            (4, 384) => "tiny",
            (6, 512) => "base",
            (12, 768) => "small",
            (24, 1024) => "medium",
            (32, 1280) if self.n_mels == 128 && self.n_text_layer == 4 => "large-v3-turbo",
            (32, 1280) if self.n_mels == 128 => "large-v3",
            (32, 1280) => "large",
            _ => "custom",
        };
        let distil = self.n_text_layer != self.n_audio_layer && size != "large-v3-turbo";
        let english = if self.n_vocab == 51864 { ".en" } else { "" };
        format!("{}{size}{english}", if distil { "distil-" } else { "" })
    }
}

// ---------------------------------------------------------------------------------------------
// f16 <-> f32, exact and round-to-nearest-even (what numpy's astype does), so converted bytes
// match the reference converter bit for bit.

pub fn f16_bits_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let mant = (h & 0x3ff) as u32;
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal f16: normalise into an f32 exponent.
            let mut e = 127 - 15 + 1;
            let mut m = mant;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((m & 0x3ff) << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (mant << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (mant << 13),
    };
    f32::from_bits(bits)
}

pub fn f32_to_f16_bits(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let mant = bits & 0x7f_ffff;
    if exp == 0xff {
        let nan_payload = if mant != 0 {
            0x200 | (mant >> 13) as u16
        } else {
            0
        };
        return sign | 0x7c00 | nan_payload;
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e < -10 {
        // Below half the smallest f16 subnormal: rounds to zero.
        return sign;
    }
    // Keep the top bits of the (implicit-1) mantissa; an f16 subnormal keeps fewer of them.
    let (kept, dropped, shift) = if e <= 0 {
        let full = mant | 0x80_0000;
        let shift = (14 - e) as u32;
        (full >> shift, full & ((1 << shift) - 1), shift)
    } else {
        (((e as u32) << 10) | (mant >> 13), mant & 0x1fff, 13)
    };
    let half = 1u32 << (shift - 1);
    let round_up = dropped > half || (dropped == half && kept & 1 == 1);
    // A carry out of the mantissa correctly bumps the exponent (up to infinity).
    sign | (kept + round_up as u32) as u16
}

// ---------------------------------------------------------------------------------------------
// CTranslate2 -> ggml

/// How a tensor is stored in the ggml file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stored {
    F32,
    F16,
}

/// One ggml tensor and where its values come from.
#[derive(Debug)]
struct PlannedTensor {
    name: String,
    /// PyTorch order; the file stores it reversed.
    shape: Vec<usize>,
    stored: Stored,
    source: String,
    /// A range of the source's first dimension (for fused QKV / KV matrices).
    rows: Option<Range<usize>>,
}

/// What the converter learned about the source, for reports.
#[derive(Clone, Debug)]
pub struct ConversionSummary {
    pub hparams: WhisperHparams,
    pub tensor_count: usize,
    pub vocab_count: usize,
}

/// Writes a ggml f16 Whisper model built from a CTranslate2 model and its BPE token bytes.
///
/// Tensors come in PyTorch `state_dict` order, 1-D tensors, conv biases and positional
/// embeddings as f32 and the rest as f16, exactly as whisper.cpp's `convert-pt-to-ggml.py`.
pub fn write_ggml_from_ct2(
    model: &Ct2Model,
    vocab_bytes: &[Vec<u8>],
    out: &mut impl Write,
    out_path: &Path,
) -> Result<ConversionSummary> {
    if model.spec != WHISPER_SPEC {
        return Err(model.format_error(format!(
            "spec is {:?}, expected {WHISPER_SPEC:?}: not a Whisper model",
            model.spec
        )));
    }
    let hparams = ct2_whisper_hparams(model)?;
    let plan = plan_tensors(model, &hparams)?;
    check_everything_used(model, &plan)?;
    check_key_bias_is_zero(model, &hparams)?;

    let io = |e| ModelError::Io {
        path: out_path.to_path_buf(),
        source: e,
    };
    out.write_all(&GGML_MAGIC.to_le_bytes()).map_err(io)?;
    for v in hparams.as_array() {
        out.write_all(&v.to_le_bytes()).map_err(io)?;
    }

    let n_bins = WHISPER_N_FFT / 2 + 1;
    let filters = slaney_mel_filters(WHISPER_SAMPLE_RATE, WHISPER_N_FFT, hparams.n_mels as usize);
    out.write_all(&hparams.n_mels.to_le_bytes()).map_err(io)?;
    out.write_all(&(n_bins as i32).to_le_bytes()).map_err(io)?;
    out.write_all(&f32s_to_le_bytes(&filters)).map_err(io)?;

    out.write_all(&(vocab_bytes.len() as i32).to_le_bytes())
        .map_err(io)?;
    for token in vocab_bytes {
        out.write_all(&(token.len() as u32).to_le_bytes())
            .map_err(io)?;
        out.write_all(token).map_err(io)?;
    }

    for tensor in &plan {
        let data = tensor_bytes(model, tensor)?;
        let stored_shape = file_shape(tensor);
        out.write_all(&(stored_shape.len() as i32).to_le_bytes())
            .map_err(io)?;
        out.write_all(&(tensor.name.len() as i32).to_le_bytes())
            .map_err(io)?;
        let ttype = match tensor.stored {
            Stored::F32 => TTYPE_F32,
            Stored::F16 => TTYPE_F16,
        };
        out.write_all(&(ttype as i32).to_le_bytes()).map_err(io)?;
        for dim in stored_shape.iter().rev() {
            out.write_all(&(*dim as i32).to_le_bytes()).map_err(io)?;
        }
        out.write_all(tensor.name.as_bytes()).map_err(io)?;
        out.write_all(&data).map_err(io)?;
    }

    Ok(ConversionSummary {
        hparams,
        tensor_count: plan.len(),
        vocab_count: vocab_bytes.len(),
    })
}

/// The shape written to the file: conv biases become `[n, 1]` as in the reference converter.
fn file_shape(tensor: &PlannedTensor) -> Vec<usize> {
    if tensor.name == "encoder.conv1.bias" || tensor.name == "encoder.conv2.bias" {
        vec![tensor.shape[0], 1]
    } else {
        tensor.shape.clone()
    }
}

/// Whisper hyperparameters implied by a CTranslate2 model's tensor shapes and `*/num_heads`.
pub fn ct2_whisper_hparams(model: &Ct2Model) -> Result<WhisperHparams> {
    let dims2 = |name: &str| -> Result<(usize, usize)> {
        let v = model.require(name)?;
        match v.shape.as_slice() {
            [a, b] => Ok((*a, *b)),
            other => Err(model.format_error(format!("{name} has shape {other:?}, expected 2-D"))),
        }
    };
    let (n_vocab, n_text_state_emb) = dims2("decoder/embeddings/weight")?;
    let (n_audio_ctx, n_audio_state) = dims2("encoder/position_encodings/encodings")?;
    let (n_text_ctx, n_text_state) = dims2("decoder/position_encodings/encodings")?;
    if n_text_state != n_text_state_emb {
        return Err(model.format_error(format!(
            "decoder embeddings are {n_text_state_emb} wide but positions are {n_text_state}"
        )));
    }
    let conv1 = model.require("encoder/conv1/weight")?;
    let n_mels = match conv1.shape.as_slice() {
        [out, mels, 3] if *out == n_audio_state => *mels,
        other => {
            return Err(model.format_error(format!(
                "encoder/conv1/weight has shape {other:?}, expected [{n_audio_state}, n_mels, 3]"
            )))
        }
    };
    // Whisper's heads are always 64 wide; older conversions may lack the num_heads scalar.
    let heads = |name: &str, state: usize| model.scalar_int(name).unwrap_or((state / 64) as i64);
    let n_audio_layer = count_layers(model, "encoder")?;
    let n_text_layer = count_layers(model, "decoder")?;
    let as_i32 = |x: usize| x as i32;
    Ok(WhisperHparams {
        n_vocab: as_i32(n_vocab),
        n_audio_ctx: as_i32(n_audio_ctx),
        n_audio_state: as_i32(n_audio_state),
        n_audio_head: heads("encoder/num_heads", n_audio_state) as i32,
        n_audio_layer: as_i32(n_audio_layer),
        n_text_ctx: as_i32(n_text_ctx),
        n_text_state: as_i32(n_text_state),
        n_text_head: heads("decoder/num_heads", n_text_state) as i32,
        n_text_layer: as_i32(n_text_layer),
        n_mels: as_i32(n_mels),
        ftype: FTYPE_MOSTLY_F16,
    })
}

fn count_layers(model: &Ct2Model, stack: &str) -> Result<usize> {
    let prefix = format!("{stack}/layer_");
    let mut max_index = None;
    for v in model.variables() {
        // `encoder/layer_norm/*` shares the prefix; only numbered layers count.
        let index = v
            .name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split('/').next())
            .and_then(|i| i.parse::<usize>().ok());
        if let Some(index) = index {
            max_index = max_index.max(Some(index));
        }
    }
    max_index
        .map(|i| i + 1)
        .ok_or_else(|| model.format_error(format!("no {stack} layers")))
}

fn plan_tensors(model: &Ct2Model, hp: &WhisperHparams) -> Result<Vec<PlannedTensor>> {
    let mut plan = Vec::new();
    let mut add = |name: String, source: String, rows: Option<Range<usize>>| -> Result<()> {
        let var = model.require(&source)?;
        let mut shape = var.shape.clone();
        if let Some(r) = &rows {
            let available = shape.first().copied().unwrap_or(0);
            if r.end > available {
                return Err(model.format_error(format!(
                    "{source} has {available} rows, cannot take rows {r:?} for {name}"
                )));
            }
            shape[0] = r.len();
        }
        let f32_by_name = name == "encoder.conv1.bias"
            || name == "encoder.conv2.bias"
            || name == "encoder.positional_embedding"
            || name == "decoder.positional_embedding";
        let stored = if shape.len() < 2 || f32_by_name {
            Stored::F32
        } else {
            Stored::F16
        };
        plan.push(PlannedTensor {
            name,
            shape,
            stored,
            source,
            rows,
        });
        Ok(())
    };
    let linear = |add: &mut dyn FnMut(String, String, Option<Range<usize>>) -> Result<()>,
                  to: &str,
                  from: &str|
     -> Result<()> {
        add(format!("{to}.weight"), format!("{from}/weight"), None)?;
        add(format!("{to}.bias"), format!("{from}/bias"), None)
    };
    let norm = |add: &mut dyn FnMut(String, String, Option<Range<usize>>) -> Result<()>,
                to: &str,
                from: &str|
     -> Result<()> {
        add(format!("{to}.weight"), format!("{from}/gamma"), None)?;
        add(format!("{to}.bias"), format!("{from}/beta"), None)
    };

    // The encoder's own buffer precedes its submodules in PyTorch's state_dict.
    add(
        "encoder.positional_embedding".into(),
        "encoder/position_encodings/encodings".into(),
        None,
    )?;
    linear(&mut add, "encoder.conv1", "encoder/conv1")?;
    linear(&mut add, "encoder.conv2", "encoder/conv2")?;
    let n = hp.n_audio_state as usize;
    for i in 0..hp.n_audio_layer as usize {
        let (to, from) = (format!("encoder.blocks.{i}"), format!("encoder/layer_{i}"));
        self_attention(&mut add, model, &to, &from, n)?;
        linear(
            &mut add,
            &format!("{to}.attn.out"),
            &format!("{from}/self_attention/linear_1"),
        )?;
        norm(
            &mut add,
            &format!("{to}.attn_ln"),
            &format!("{from}/self_attention/layer_norm"),
        )?;
        mlp(&mut add, &to, &from)?;
    }
    norm(&mut add, "encoder.ln_post", "encoder/layer_norm")?;

    add(
        "decoder.positional_embedding".into(),
        "decoder/position_encodings/encodings".into(),
        None,
    )?;
    add(
        "decoder.token_embedding.weight".into(),
        "decoder/embeddings/weight".into(),
        None,
    )?;
    let n = hp.n_text_state as usize;
    for i in 0..hp.n_text_layer as usize {
        let (to, from) = (format!("decoder.blocks.{i}"), format!("decoder/layer_{i}"));
        self_attention(&mut add, model, &to, &from, n)?;
        linear(
            &mut add,
            &format!("{to}.attn.out"),
            &format!("{from}/self_attention/linear_1"),
        )?;
        norm(
            &mut add,
            &format!("{to}.attn_ln"),
            &format!("{from}/self_attention/layer_norm"),
        )?;
        // Cross attention: query alone, key and value fused (key without bias), then out.
        linear(
            &mut add,
            &format!("{to}.cross_attn.query"),
            &format!("{from}/attention/linear_0"),
        )?;
        let kv = format!("{from}/attention/linear_1");
        expect_rows(model, &format!("{kv}/weight"), 2 * n)?;
        add(
            format!("{to}.cross_attn.key.weight"),
            format!("{kv}/weight"),
            Some(0..n),
        )?;
        add(
            format!("{to}.cross_attn.value.weight"),
            format!("{kv}/weight"),
            Some(n..2 * n),
        )?;
        add(
            format!("{to}.cross_attn.value.bias"),
            format!("{kv}/bias"),
            Some(n..2 * n),
        )?;
        linear(
            &mut add,
            &format!("{to}.cross_attn.out"),
            &format!("{from}/attention/linear_2"),
        )?;
        norm(
            &mut add,
            &format!("{to}.cross_attn_ln"),
            &format!("{from}/attention/layer_norm"),
        )?;
        mlp(&mut add, &to, &from)?;
    }
    norm(&mut add, "decoder.ln", "decoder/layer_norm")?;
    Ok(plan)
}

type AddFn<'a> = dyn FnMut(String, String, Option<Range<usize>>) -> Result<()> + 'a;

/// Splits CTranslate2's fused QKV projection into whisper.cpp's query/key/value (key has no bias).
fn self_attention(add: &mut AddFn, model: &Ct2Model, to: &str, from: &str, n: usize) -> Result<()> {
    let qkv = format!("{from}/self_attention/linear_0");
    expect_rows(model, &format!("{qkv}/weight"), 3 * n)?;
    add(
        format!("{to}.attn.query.weight"),
        format!("{qkv}/weight"),
        Some(0..n),
    )?;
    add(
        format!("{to}.attn.query.bias"),
        format!("{qkv}/bias"),
        Some(0..n),
    )?;
    add(
        format!("{to}.attn.key.weight"),
        format!("{qkv}/weight"),
        Some(n..2 * n),
    )?;
    add(
        format!("{to}.attn.value.weight"),
        format!("{qkv}/weight"),
        Some(2 * n..3 * n),
    )?;
    add(
        format!("{to}.attn.value.bias"),
        format!("{qkv}/bias"),
        Some(2 * n..3 * n),
    )
}

fn mlp(add: &mut AddFn, to: &str, from: &str) -> Result<()> {
    for (ggml, ct2) in [("mlp.0", "linear_0"), ("mlp.2", "linear_1")] {
        add(
            format!("{to}.{ggml}.weight"),
            format!("{from}/ffn/{ct2}/weight"),
            None,
        )?;
        add(
            format!("{to}.{ggml}.bias"),
            format!("{from}/ffn/{ct2}/bias"),
            None,
        )?;
    }
    add(
        format!("{to}.mlp_ln.weight"),
        format!("{from}/ffn/layer_norm/gamma"),
        None,
    )?;
    add(
        format!("{to}.mlp_ln.bias"),
        format!("{from}/ffn/layer_norm/beta"),
        None,
    )
}

fn expect_rows(model: &Ct2Model, name: &str, rows: usize) -> Result<()> {
    let v = model.require(name)?;
    if v.shape.first() != Some(&rows) {
        return Err(model.format_error(format!(
            "{name} has shape {:?}, expected {rows} rows (fused projections)",
            v.shape
        )));
    }
    Ok(())
}

/// Refuses to drop anything but the known scalars: an unknown tensor means a model variant this
/// converter would silently mistranslate.
fn check_everything_used(model: &Ct2Model, plan: &[PlannedTensor]) -> Result<()> {
    // Compare stored names: a plan may reach a tensor through an alias.
    let used: std::collections::HashSet<&str> = plan
        .iter()
        .filter_map(|t| model.variable(&t.source))
        .map(|v| v.name.as_str())
        .collect();
    let unused: Vec<&str> = model
        .variables()
        .iter()
        .filter(|v| !v.is_scalar())
        .map(|v| v.name.as_str())
        .filter(|name| !used.contains(name))
        .filter(|name| {
            // Quantization scales are consumed with their weight.
            !name
                .strip_suffix("_scale")
                .is_some_and(|w| used.contains(w))
        })
        .collect();
    if unused.is_empty() {
        Ok(())
    } else {
        Err(model.format_error(format!(
            "variables this converter does not understand: {}",
            unused.join(", ")
        )))
    }
}

/// whisper.cpp has no key bias; CTranslate2 stores zeros there. Anything else would be lost.
fn check_key_bias_is_zero(model: &Ct2Model, hp: &WhisperHparams) -> Result<()> {
    let check = |name: String, rows: Range<usize>| -> Result<()> {
        let var = model.require(&name)?;
        let values = model.to_f32(var)?;
        if values
            .get(rows.clone())
            .is_some_and(|k| k.iter().any(|&x| x != 0.0))
        {
            return Err(model.format_error(format!(
                "{name} has a non-zero key bias (rows {rows:?}); whisper.cpp cannot represent it"
            )));
        }
        Ok(())
    };
    let n = hp.n_audio_state as usize;
    for i in 0..hp.n_audio_layer {
        check(
            format!("encoder/layer_{i}/self_attention/linear_0/bias"),
            n..2 * n,
        )?;
    }
    let n = hp.n_text_state as usize;
    for i in 0..hp.n_text_layer {
        check(
            format!("decoder/layer_{i}/self_attention/linear_0/bias"),
            n..2 * n,
        )?;
        check(format!("decoder/layer_{i}/attention/linear_1/bias"), 0..n)?;
    }
    Ok(())
}

fn tensor_bytes(model: &Ct2Model, tensor: &PlannedTensor) -> Result<Vec<u8>> {
    let var = model.require(&tensor.source)?;
    let row_elems: usize = var.shape.iter().skip(1).product();
    let elems = rows_of(var, &tensor.rows);
    let range = elems.start * row_elems..elems.end * row_elems;
    // The common case (f16 in, f16 out) copies bytes untouched: no rounding can creep in.
    if var.dtype == Ct2DType::F16 && tensor.stored == Stored::F16 {
        let raw = model.raw_bytes(var);
        return Ok(raw[range.start * 2..range.end * 2].to_vec());
    }
    let values = model.to_f32(var)?;
    let values = &values[range];
    Ok(match tensor.stored {
        Stored::F32 => f32s_to_le_bytes(values),
        Stored::F16 => values
            .iter()
            .flat_map(|&v| f32_to_f16_bits(v).to_le_bytes())
            .collect(),
    })
}

fn rows_of(var: &Ct2Variable, rows: &Option<Range<usize>>) -> Range<usize> {
    match rows {
        Some(r) => r.clone(),
        None if var.shape.is_empty() => 0..1,
        None => 0..var.shape[0],
    }
}

fn f32s_to_le_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

// ---------------------------------------------------------------------------------------------
// Reading
//
// One reader for every consumer: the quantizer and the tests parse whole files held in memory,
// the validator (`super::validate`) walks a 150 MB model on disk by reading the headers and
// seeking over the tensor data. Every size read from the file is checked against the bytes left
// in the file, with checked arithmetic, before it is used to allocate, skip or add.

/// A tensor's entry in a ggml file.
#[derive(Clone, Debug)]
pub struct GgmlTensor {
    pub name: String,
    pub ttype: u32,
    /// ggml order (`ne[0]` is the row length), as stored.
    pub ne: Vec<usize>,
    pub data: Range<usize>,
    /// Where the tensor's header (`n_dims`) starts, for messages.
    pub header_offset: usize,
}

/// The directory of a ggml Whisper file.
#[derive(Clone, Debug)]
pub struct GgmlLayout {
    pub hparams: WhisperHparams,
    pub mel_shape: (usize, usize),
    /// Token bytes, in id order; empty when the reader was asked not to keep them.
    pub vocab: Vec<Vec<u8>>,
    /// Tokens the file stores (also when their bytes were not kept).
    pub vocab_count: usize,
    /// Where the tensors begin (everything before is header, mel filters and vocabulary).
    pub tensors_start: usize,
    pub tensors: Vec<GgmlTensor>,
}

/// Bytes per row of `ne0` elements for the ggml tensor types whisper files use.
pub fn row_bytes(ttype: u32, ne0: usize) -> Option<usize> {
    let (block, bytes) = type_block(ttype)?;
    ne0.is_multiple_of(block).then(|| ne0 / block * bytes)
}

/// `(elements per block, bytes per block)` of the ggml types whisper files use (ggml's
/// `type_traits`); `None` for any other type number.
pub fn type_block(ttype: u32) -> Option<(usize, usize)> {
    Some(match ttype {
        0 => (1, 4),
        1 => (1, 2),
        2 => (32, 18),
        3 => (32, 20),
        6 => (32, 22),
        7 => (32, 24),
        8 => (32, 34),
        10 => (256, 84),
        11 => (256, 110),
        12 => (256, 144),
        13 => (256, 176),
        14 => (256, 210),
        _ => return None,
    })
}

/// Longest tensor name accepted: whisper's are under 64 bytes.
const MAX_TENSOR_NAME: usize = 256;
/// Longest vocabulary token accepted: Whisper's BPE tokens are under 200 bytes.
pub const MAX_TOKEN_BYTES: usize = 1024;

/// Reads the magic and hyperparameters, the cheap first look at a file.
pub fn read_hparams(path: &Path) -> Result<WhisperHparams> {
    let (mut reader, _) = GgmlReader::open(path)?;
    reader.read_hparams()
}

/// Reads a ggml file's directory from disk, seeking over the tensor data: every size in it
/// must add up to the file's length. Says nothing of whether whisper.cpp can load the model
/// (see `validate`).
pub fn read_layout(path: &Path) -> Result<GgmlLayout> {
    let (mut reader, _) = GgmlReader::open(path)?;
    let hparams = reader.read_hparams()?;
    reader.read_body(hparams, false)
}

/// Parses a whole ggml Whisper file held in memory (header, vocabulary, tensor directory).
pub fn parse_ggml(bytes: &[u8], path: &Path) -> Result<GgmlLayout> {
    let mut reader = GgmlReader::new(std::io::Cursor::new(bytes), bytes.len() as u64, path);
    let hparams = reader.read_hparams()?;
    reader.read_body(hparams, true)
}

/// A position in a ggml file of known length. Reads are bounds-checked against that length
/// first, so a size field that lies is reported (with its offset) instead of being trusted.
pub struct GgmlReader<R> {
    inner: R,
    pos: u64,
    len: u64,
    path: PathBuf,
}

impl GgmlReader<std::io::BufReader<std::fs::File>> {
    /// Opens a file for reading its directory; also returns the file's length.
    pub fn open(path: &Path) -> Result<(Self, u64)> {
        let file = std::fs::File::open(path).at(path)?;
        let len = file.metadata().at(path)?.len();
        let reader = GgmlReader::new(
            std::io::BufReader::with_capacity(64 * 1024, file),
            len,
            path,
        );
        Ok((reader, len))
    }
}

impl<R: std::io::Read + std::io::Seek> GgmlReader<R> {
    /// `len` is the length of the whole source; reading starts at its beginning.
    pub fn new(inner: R, len: u64, path: &Path) -> Self {
        Self {
            inner,
            pos: 0,
            len,
            path: path.to_path_buf(),
        }
    }

    /// The offset of the next byte to be read.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// An error about the file at `offset`.
    pub fn damaged(&self, offset: u64, reason: impl Into<String>) -> ModelError {
        ModelError::damaged(self.path.clone(), offset, reason)
    }

    /// The file being read, as named in errors.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fails unless `n` more bytes (what `what` needs) are in the file.
    fn need(&self, n: u64, what: &str) -> Result<()> {
        let left = self.len.saturating_sub(self.pos);
        if n > left {
            return Err(self.damaged(
                self.pos,
                format!(
                    "{what} needs {n} bytes but the file ends {left} bytes later \
                     (it is {} bytes long): the file is truncated",
                    self.len
                ),
            ));
        }
        Ok(())
    }

    fn fill(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        self.need(buf.len() as u64, what)?;
        self.inner.read_exact(buf).at(&self.path)?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    fn read_i32(&mut self, what: &str) -> Result<i32> {
        let mut b = [0u8; 4];
        self.fill(&mut b, what)?;
        Ok(i32::from_le_bytes(b))
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<()> {
        self.need(n, what)?;
        let step =
            i64::try_from(n).map_err(|_| self.damaged(self.pos, format!("{what} is too long")))?;
        self.inner
            .seek(std::io::SeekFrom::Current(step))
            .at(&self.path)?;
        self.pos += n;
        Ok(())
    }

    /// Magic and the 11 hyperparameters (no judgement of their values: see `validate`).
    pub fn read_hparams(&mut self) -> Result<WhisperHparams> {
        let path = self.path.clone();
        let not_ggml = |reason: &str| ModelError::NotGgml {
            path: path.clone(),
            reason: reason.to_owned(),
        };
        if self.len < HPARAMS_END as u64 {
            return Err(not_ggml(&format!(
                "{} bytes long, shorter than a ggml header ({HPARAMS_END} bytes)",
                self.len
            )));
        }
        let magic = self.read_i32("the magic number")? as u32;
        if magic != GGML_MAGIC {
            return Err(not_ggml(&format!(
                "wrong magic number 0x{magic:08x} at byte offset 0 (a ggml file starts with 0x{GGML_MAGIC:08x})"
            )));
        }
        let mut values = [0i32; 11];
        for v in values.iter_mut() {
            *v = self.read_i32("the hyperparameters")?;
        }
        Ok(WhisperHparams::from_array(values))
    }

    /// Mel filters, vocabulary and tensor directory, seeking over tensor data. `keep_vocab`
    /// keeps the token bytes (the quantizer copies them); otherwise they are only counted.
    pub fn read_body(&mut self, hparams: WhisperHparams, keep_vocab: bool) -> Result<GgmlLayout> {
        self.read_body_checked(hparams, keep_vocab, &mut |_| Ok(()))
    }

    /// [`GgmlReader::read_body`], handing each tensor's entry to `check` as soon as its header
    /// is read, before its data is skipped.
    pub fn read_body_checked(
        &mut self,
        hparams: WhisperHparams,
        keep_vocab: bool,
        check: &mut dyn FnMut(&GgmlTensor) -> Result<()>,
    ) -> Result<GgmlLayout> {
        let at = self.pos;
        let n_mel = self.read_i32("the mel filter shape")?;
        let n_bins = self.read_i32("the mel filter shape")?;
        let (n_mel, n_bins) = match (usize::try_from(n_mel), usize::try_from(n_bins)) {
            (Ok(m), Ok(b)) if m > 0 && b > 0 => (m, b),
            _ => {
                return Err(self.damaged(
                    at,
                    format!("the mel filter shape is {n_mel} × {n_bins}, not positive"),
                ))
            }
        };
        let filter_bytes = (n_mel as u64)
            .checked_mul(n_bins as u64)
            .and_then(|n| n.checked_mul(4))
            .ok_or_else(|| {
                self.damaged(
                    at,
                    format!("the mel filter shape {n_mel} × {n_bins} overflows"),
                )
            })?;
        self.skip(filter_bytes, "the mel filters")?;

        let at = self.pos;
        let n_vocab = self.read_i32("the vocabulary size")?;
        let vocab_count = usize::try_from(n_vocab)
            .map_err(|_| self.damaged(at, format!("the vocabulary size is {n_vocab}, negative")))?;
        // Each token takes at least its 4-byte length: a count the file cannot hold is refused
        // before anything is reserved for it.
        self.need((vocab_count as u64).saturating_mul(4), "the vocabulary")?;
        let mut vocab = Vec::with_capacity(if keep_vocab { vocab_count } else { 0 });
        let mut token = Vec::with_capacity(64);
        for i in 0..vocab_count {
            let at = self.pos;
            let mut len = [0u8; 4];
            self.fill(&mut len, "a vocabulary token's length")?;
            let len = u32::from_le_bytes(len) as usize;
            if len > MAX_TOKEN_BYTES {
                return Err(self.damaged(
                    at,
                    format!("vocabulary token {i} claims {len} bytes (tokens are at most {MAX_TOKEN_BYTES})"),
                ));
            }
            token.resize(len, 0);
            self.fill(&mut token, "a vocabulary token")?;
            if keep_vocab {
                vocab.push(token.clone());
            }
        }

        let tensors_start = self.pos;
        let mut tensors = Vec::new();
        while self.pos < self.len {
            tensors.push(self.read_tensor(check)?);
        }
        let to_usize = |v: u64| usize::try_from(v).expect("offsets fit in usize on 64-bit hosts");
        Ok(GgmlLayout {
            hparams,
            mel_shape: (n_mel, n_bins),
            vocab,
            vocab_count,
            tensors_start: to_usize(tensors_start),
            tensors,
        })
    }

    fn read_tensor(
        &mut self,
        check: &mut dyn FnMut(&GgmlTensor) -> Result<()>,
    ) -> Result<GgmlTensor> {
        let header = self.pos;
        let what = "a tensor header";
        let n_dims = self.read_i32(what)?;
        let name_len = self.read_i32(what)?;
        let ttype = self.read_i32(what)?;
        if !(1..=4).contains(&n_dims) {
            return Err(self.damaged(
                header,
                format!("a tensor has {n_dims} dimensions (1 to 4 allowed)"),
            ));
        }
        let name_len = match usize::try_from(name_len) {
            Ok(n) if (1..=MAX_TENSOR_NAME).contains(&n) => n,
            _ => {
                return Err(self.damaged(
                    header + 4,
                    format!(
                        "a tensor name is {name_len} bytes long (1 to {MAX_TENSOR_NAME} allowed)"
                    ),
                ))
            }
        };
        let ttype = u32::try_from(ttype)
            .ok()
            .filter(|t| type_block(*t).is_some())
            .ok_or_else(|| {
                self.damaged(
                    header + 8,
                    format!("a tensor has unknown ggml type {ttype}"),
                )
            })?;
        let mut ne = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            let at = self.pos;
            let d = self.read_i32(what)?;
            match usize::try_from(d) {
                Ok(d) if d > 0 => ne.push(d),
                _ => {
                    return Err(self.damaged(at, format!("a tensor dimension is {d}, not positive")))
                }
            }
        }
        let mut name = vec![0u8; name_len];
        self.fill(&mut name, "a tensor name")?;
        let name = String::from_utf8_lossy(&name).into_owned();
        let size = row_bytes(ttype, ne[0])
            .and_then(|row| ne[1..].iter().try_fold(row, |acc, &d| acc.checked_mul(d)))
            .ok_or_else(|| {
                self.damaged(
                    header,
                    format!("tensor `{name}` has shape {ne:?}, impossible for ggml type {ttype}"),
                )
            })?;
        let to_usize = |v: u64| usize::try_from(v).expect("offsets fit in usize on 64-bit hosts");
        let start = to_usize(self.pos);
        let tensor = GgmlTensor {
            data: start..start.saturating_add(size),
            name,
            ttype,
            ne,
            header_offset: to_usize(header),
        };
        // Judged on its header first: a wrong tensor is named even when the file is also short.
        check(&tensor)?;
        self.skip(
            size as u64,
            &format!("the data of tensor `{}`", tensor.name),
        )?;
        Ok(tensor)
    }
}
