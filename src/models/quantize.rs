//! Quantizing an f16 ggml Whisper model to q5_1 or q8_0 with ggml's own `ggml_quantize_chunk`
//! (linked through whisper-rs-sys), choosing tensors and writing the header exactly as
//! whisper.cpp's `examples/quantize` tool does, so whisper.cpp loads the result like its own.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use super::error::{ModelError, Result};
use super::ggml::{f16_bits_to_f32, parse_ggml, TTYPE_F16, TTYPE_F32};

/// Tensors the quantize tool leaves in full precision, besides every tensor that is not 2-D.
const KEEP_FULL_PRECISION: [&str; 4] = [
    "encoder.conv1.bias",
    "encoder.conv2.bias",
    "encoder.positional_embedding",
    "decoder.positional_embedding",
];

/// whisper.cpp stamps quantized files with `ftype + GGML_QNT_VERSION * GGML_QNT_VERSION_FACTOR`.
const QNT_VERSION_OFFSET: i32 =
    (whisper_rs_sys::GGML_QNT_VERSION * whisper_rs_sys::GGML_QNT_VERSION_FACTOR) as i32;

/// Offset of `hparams.ftype` in the file: magic + 10 hparams before it.
const FTYPE_OFFSET: usize = 4 + 10 * 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quantization {
    Q5_1,
    Q8_0,
}

impl Quantization {
    pub const ALL: [Quantization; 2] = [Quantization::Q5_1, Quantization::Q8_0];

    /// The spelling used in model names and on the command line ("q5_1").
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Q5_1 => "q5_1",
            Self::Q8_0 => "q8_0",
        }
    }

    fn ggml_type(self) -> whisper_rs_sys::ggml_type {
        match self {
            Self::Q5_1 => whisper_rs_sys::ggml_type_GGML_TYPE_Q5_1,
            Self::Q8_0 => whisper_rs_sys::ggml_type_GGML_TYPE_Q8_0,
        }
    }

    // bindgen gives C enums a signed or unsigned type depending on the platform: keep the casts.
    #[allow(clippy::unnecessary_cast)]
    fn ggml_ftype(self) -> i32 {
        (match self {
            Self::Q5_1 => whisper_rs_sys::ggml_ftype_GGML_FTYPE_MOSTLY_Q5_1,
            Self::Q8_0 => whisper_rs_sys::ggml_ftype_GGML_FTYPE_MOSTLY_Q8_0,
        }) as i32
    }
}

impl fmt::Display for Quantization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Quantization {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().replace('.', "_").as_str() {
            "q5_1" => Ok(Self::Q5_1),
            "q8_0" => Ok(Self::Q8_0),
            _ => Err(format!("unknown quantization `{s}`; use q5_1 or q8_0")),
        }
    }
}

/// What quantizing changed, for reports.
#[derive(Clone, Debug)]
pub struct QuantizeSummary {
    pub quantized_tensors: usize,
    pub kept_tensors: usize,
}

/// Quantizes the ggml f16/f32 model in `input` (the whole file) into `out`.
#[allow(clippy::unnecessary_cast)] // `ggml_type` is i32 or u32 depending on the platform
pub fn quantize_ggml(
    input: &[u8],
    input_path: &Path,
    quantization: Quantization,
    out: &mut impl Write,
    out_path: &Path,
) -> Result<QuantizeSummary> {
    let layout = parse_ggml(input, input_path)?;
    let refuse = |reason: String| ModelError::Quantize {
        path: input_path.to_path_buf(),
        reason,
    };
    if layout.hparams.ftype != 0 && layout.hparams.ftype != 1 {
        return Err(refuse(format!(
            "it is already quantized (ftype {}); quantize the f16 model instead",
            layout.hparams.ftype
        )));
    }
    let io = |e| ModelError::Io {
        path: out_path.to_path_buf(),
        source: e,
    };

    let ftype = QNT_VERSION_OFFSET + quantization.ggml_ftype();
    out.write_all(&input[..FTYPE_OFFSET]).map_err(io)?;
    out.write_all(&ftype.to_le_bytes()).map_err(io)?;
    out.write_all(&input[FTYPE_OFFSET + 4..layout.tensors_start])
        .map_err(io)?;

    let qtype = quantization.ggml_type();
    let block = unsafe { whisper_rs_sys::ggml_blck_size(qtype) } as usize;
    let mut summary = QuantizeSummary {
        quantized_tensors: 0,
        kept_tensors: 0,
    };
    for tensor in &layout.tensors {
        let quantize = tensor.ne.len() == 2
            && !KEEP_FULL_PRECISION.contains(&tensor.name.as_str())
            && (tensor.ttype == TTYPE_F16 || tensor.ttype == TTYPE_F32);
        let header = tensor_header(
            &tensor.name,
            &tensor.ne,
            if quantize { qtype as u32 } else { tensor.ttype },
        );
        out.write_all(&header).map_err(io)?;
        let data = &input[tensor.data.clone()];
        if !quantize {
            out.write_all(data).map_err(io)?;
            summary.kept_tensors += 1;
            continue;
        }
        let n_per_row = tensor.ne[0];
        if n_per_row % block != 0 {
            // ggml would abort the process on this; refuse politely instead.
            return Err(refuse(format!(
                "tensor {} has rows of {n_per_row} values, not a multiple of the {quantization} block size {block}",
                tensor.name
            )));
        }
        let values: Vec<f32> = if tensor.ttype == TTYPE_F16 {
            data.chunks_exact(2)
                .map(|c| f16_bits_to_f32(u16::from_le_bytes([c[0], c[1]])))
                .collect()
        } else {
            data.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        };
        let n_rows = values.len() / n_per_row;
        let row_size = unsafe { whisper_rs_sys::ggml_row_size(qtype, n_per_row as i64) };
        let mut quantized = vec![0u8; row_size * n_rows];
        // SAFETY: `values` holds n_rows * n_per_row f32s, `quantized` holds n_rows rows of the
        // target type, n_per_row is a multiple of the block size, and q5_1/q8_0 take no
        // importance matrix (null is allowed).
        let written = unsafe {
            whisper_rs_sys::ggml_quantize_chunk(
                qtype,
                values.as_ptr(),
                quantized.as_mut_ptr().cast(),
                0,
                n_rows as i64,
                n_per_row as i64,
                std::ptr::null(),
            )
        };
        out.write_all(&quantized[..written]).map_err(io)?;
        summary.quantized_tensors += 1;
    }
    Ok(summary)
}

fn tensor_header(name: &str, ne: &[usize], ttype: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(12 + 4 * ne.len() + name.len());
    h.extend_from_slice(&(ne.len() as i32).to_le_bytes());
    h.extend_from_slice(&(name.len() as i32).to_le_bytes());
    h.extend_from_slice(&(ttype as i32).to_le_bytes());
    for &d in ne {
        h.extend_from_slice(&(d as i32).to_le_bytes());
    }
    h.extend_from_slice(name.as_bytes());
    h
}
