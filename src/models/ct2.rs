//! Reader for CTranslate2 `model.bin` files (the format faster-whisper ships): header, variables,
//! aliases, and conversion of any stored dtype to f32 (dequantizing int8/int16 weights with their
//! `_scale` companions).
//!
//! Layout, as written by `python/ctranslate2/specs/model_spec.py` and read by
//! `src/models/model.cc` in CTranslate2: `u32 version`, then (version >= 2) `str spec_name,
//! u32 revision`; `u32 n_vars`; per variable `str name, u8 rank, u32 dims[rank]`, then
//! (version >= 4) `u8 dtype, u32 nbytes` or (older) `u8 item_size, u32 n_items`, then the data;
//! then (version >= 3) `u32 n_aliases, (str alias, str target)*`. A `str` is `u16 (len + 1)`,
//! the bytes and a NUL. Everything is little-endian.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::error::{IoContext, ModelError, Result};

/// Oldest binary version with a spec name (we need it to know the file holds Whisper).
pub const MIN_SUPPORTED_VERSION: u32 = 2;
/// Newest binary version CTranslate2 writes today (4.x).
pub const MAX_SUPPORTED_VERSION: u32 = 6;
/// The spec name CTranslate2 gives Whisper models.
pub const WHISPER_SPEC: &str = "WhisperSpec";

/// Element types of CTranslate2 variables (`ctranslate2::DataType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ct2DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl Ct2DType {
    fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::BF16,
            _ => return None,
        })
    }

    /// Versions before 4 stored only the item size; CTranslate2 maps it the same (flawed) way.
    fn from_item_size(size: u8) -> Option<Self> {
        Some(match size {
            4 => Self::F32,
            2 => Self::I16,
            1 => Self::I8,
            _ => return None,
        })
    }

    pub fn size_bytes(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 | Self::BF16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

/// One stored variable; its bytes live in the owning [`Ct2Model`].
#[derive(Clone, Debug)]
pub struct Ct2Variable {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: Ct2DType,
    data: Range<usize>,
}

impl Ct2Variable {
    pub fn element_count(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_scalar(&self) -> bool {
        self.shape.is_empty()
    }
}

/// A parsed `model.bin`, holding the whole file in memory (base is 145 MB).
pub struct Ct2Model {
    pub path: PathBuf,
    pub version: u32,
    pub spec: String,
    pub revision: u32,
    bytes: Vec<u8>,
    variables: Vec<Ct2Variable>,
    by_name: HashMap<String, usize>,
    aliases: Vec<(String, String)>,
}

impl std::fmt::Debug for Ct2Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ct2Model")
            .field("path", &self.path)
            .field("version", &self.version)
            .field("spec", &self.spec)
            .field("variables", &self.variables.len())
            .finish()
    }
}

impl Ct2Model {
    pub fn open(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).at(path)?;
        Self::parse(bytes, path)
    }

    /// Parses a whole file; `path` only labels errors.
    pub fn parse(bytes: Vec<u8>, path: &Path) -> Result<Self> {
        let mut cursor = Cursor {
            bytes: &bytes,
            pos: 0,
            path,
        };
        let version = cursor.u32("binary version")?;
        if !(MIN_SUPPORTED_VERSION..=MAX_SUPPORTED_VERSION).contains(&version) {
            return Err(ModelError::Ct2Version {
                path: path.to_path_buf(),
                version,
                min: MIN_SUPPORTED_VERSION,
                max: MAX_SUPPORTED_VERSION,
            });
        }
        let spec = cursor.string("spec name")?;
        let revision = cursor.u32("spec revision")?;
        let n_vars = cursor.u32("variable count")? as usize;

        let mut variables = Vec::with_capacity(n_vars.min(100_000));
        let mut by_name = HashMap::with_capacity(n_vars.min(100_000));
        for _ in 0..n_vars {
            let name = cursor.string("variable name")?;
            let rank = cursor.u8("rank")? as usize;
            let mut shape = Vec::with_capacity(rank);
            for _ in 0..rank {
                shape.push(cursor.u32("dimension")? as usize);
            }
            let (dtype, n_bytes) = if version >= 4 {
                let id = cursor.u8("dtype")?;
                let dtype = Ct2DType::from_id(id).ok_or_else(|| {
                    cursor.error(format!("variable {name}: unknown dtype id {id}"))
                })?;
                (dtype, cursor.u32("byte count")? as usize)
            } else {
                let item_size = cursor.u8("item size")?;
                let dtype = Ct2DType::from_item_size(item_size).ok_or_else(|| {
                    cursor.error(format!("variable {name}: unknown item size {item_size}"))
                })?;
                (
                    dtype,
                    cursor.u32("item count")? as usize * item_size as usize,
                )
            };
            let expected = shape.iter().product::<usize>() * dtype.size_bytes();
            if n_bytes != expected {
                return Err(cursor.error(format!(
                    "variable {name}: {n_bytes} bytes stored, shape {shape:?} of {dtype:?} needs {expected}"
                )));
            }
            let data = cursor.skip(n_bytes, &name)?;
            by_name.insert(name.clone(), variables.len());
            variables.push(Ct2Variable {
                name,
                shape,
                dtype,
                data,
            });
        }

        let mut aliases = Vec::new();
        if version >= 3 {
            let n_aliases = cursor.u32("alias count")?;
            for _ in 0..n_aliases {
                let alias = cursor.string("alias")?;
                let target = cursor.string("alias target")?;
                aliases.push((alias, target));
            }
        }
        if cursor.pos != bytes.len() {
            return Err(cursor.error(format!(
                "{} unexpected bytes after the aliases",
                bytes.len() - cursor.pos
            )));
        }

        Ok(Self {
            path: path.to_path_buf(),
            version,
            spec,
            revision,
            bytes,
            variables,
            by_name,
            aliases,
        })
    }

    pub fn variables(&self) -> &[Ct2Variable] {
        &self.variables
    }

    pub fn aliases(&self) -> &[(String, String)] {
        &self.aliases
    }

    /// Looks a variable up by name, following aliases (CTranslate2 stores shared tensors once).
    pub fn variable(&self, name: &str) -> Option<&Ct2Variable> {
        if let Some(&i) = self.by_name.get(name) {
            return Some(&self.variables[i]);
        }
        let target = self.resolve_alias(name)?;
        self.by_name.get(&target).map(|&i| &self.variables[i])
    }

    /// Alias resolution, including the implicit `alias_scale -> target_scale` CTranslate2 adds.
    fn resolve_alias(&self, name: &str) -> Option<String> {
        for (alias, target) in &self.aliases {
            if alias == name {
                return Some(target.clone());
            }
            if let Some(stem) = name.strip_suffix("_scale") {
                if alias == stem {
                    return Some(format!("{target}_scale"));
                }
            }
        }
        None
    }

    pub fn require(&self, name: &str) -> Result<&Ct2Variable> {
        self.variable(name)
            .ok_or_else(|| self.format_error(format!("variable {name} is missing")))
    }

    pub fn raw_bytes(&self, variable: &Ct2Variable) -> &[u8] {
        &self.bytes[variable.data.clone()]
    }

    /// Reads an integer scalar such as `encoder/num_heads`.
    pub fn scalar_int(&self, name: &str) -> Option<i64> {
        let v = self.variable(name)?;
        if !v.is_scalar() {
            return None;
        }
        let b = self.raw_bytes(v);
        Some(match v.dtype {
            Ct2DType::I8 => b[0] as i8 as i64,
            Ct2DType::I16 => i16::from_le_bytes([b[0], b[1]]) as i64,
            Ct2DType::I32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => return None,
        })
    }

    /// The variable's values as f32, dequantizing integer weights with `<name>_scale`
    /// (int8: one scale per output row or one for all; int16: one for all), as CTranslate2's
    /// Dequantize does: `value = stored / scale`.
    pub fn to_f32(&self, variable: &Ct2Variable) -> Result<Vec<f32>> {
        let b = self.raw_bytes(variable);
        Ok(match variable.dtype {
            Ct2DType::F32 => b
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Ct2DType::F16 => b
                .chunks_exact(2)
                .map(|c| super::ggml::f16_bits_to_f32(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
            Ct2DType::BF16 => b
                .chunks_exact(2)
                .map(|c| f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16))
                .collect(),
            Ct2DType::I8 | Ct2DType::I16 => self.dequantize(variable)?,
            Ct2DType::I32 => {
                return Err(self.format_error(format!(
                    "variable {} holds int32 values, which are not weights",
                    variable.name
                )))
            }
        })
    }

    fn dequantize(&self, variable: &Ct2Variable) -> Result<Vec<f32>> {
        let scale_name = format!("{}_scale", variable.name);
        let scale_var = self.variable(&scale_name).ok_or_else(|| {
            self.format_error(format!(
                "variable {} is quantized but {scale_name} is missing",
                variable.name
            ))
        })?;
        let scales = self.to_f32(scale_var)?;
        let b = self.raw_bytes(variable);
        let values: Vec<f32> = match variable.dtype {
            Ct2DType::I8 => b.iter().map(|&x| x as i8 as f32).collect(),
            _ => b
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32)
                .collect(),
        };
        let rows = variable.shape.first().copied().unwrap_or(1).max(1);
        let per_row = values.len() / rows;
        match scales.len() {
            1 => Ok(values.iter().map(|v| v / scales[0]).collect()),
            n if n == rows => Ok(values
                .chunks(per_row.max(1))
                .zip(&scales)
                .flat_map(|(row, s)| row.iter().map(move |v| v / s))
                .collect()),
            n => Err(self.format_error(format!(
                "{scale_name} has {n} values for {rows} rows of {}",
                variable.name
            ))),
        }
    }

    pub fn format_error(&self, reason: String) -> ModelError {
        ModelError::Ct2Format {
            path: self.path.clone(),
            reason,
        }
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl Cursor<'_> {
    fn error(&self, reason: String) -> ModelError {
        ModelError::Ct2Format {
            path: self.path.to_path_buf(),
            reason: format!("{reason} (at byte {})", self.pos),
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&[u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(self.error(format!(
                "file ends inside the {what} ({n} bytes needed, {} left): truncated download?",
                self.bytes.len() - self.pos
            )));
        };
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn skip(&mut self, n: usize, what: &str) -> Result<Range<usize>> {
        let start = self.pos;
        self.take(n, &format!("data of {what}"))?;
        Ok(start..self.pos)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self, what: &str) -> Result<String> {
        let b = self.take(2, what)?;
        let len = u16::from_le_bytes([b[0], b[1]]) as usize;
        let raw = self.take(len, what)?;
        // The stored length counts a trailing NUL; CTranslate2 reads up to the first NUL.
        let text = raw.split(|&c| c == 0).next().unwrap_or(&[]);
        String::from_utf8(text.to_vec()).map_err(|_| self.error(format!("{what} is not UTF-8")))
    }
}
