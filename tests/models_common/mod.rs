//! Builds small synthetic CTranslate2 Whisper models, byte by byte, for the models tests.
//! Written independently of the reader in `src/models/ct2.rs` so the tests check it.

#![allow(dead_code)]

use callqa::models::ggml::f32_to_f16_bits;

/// How the builder stores weight matrices (names ending in `weight`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightStorage {
    F16,
    F32,
    BF16,
    /// int8 with a per-row `<name>_scale` of 64.0, as CTranslate2's int8 models.
    Int8,
}

pub struct Var {
    pub name: String,
    pub shape: Vec<u32>,
    pub dtype: u8,
    pub item_size: u8,
    pub bytes: Vec<u8>,
}

pub struct Ct2File {
    pub version: u32,
    pub spec: String,
    pub vars: Vec<Var>,
    pub aliases: Vec<(String, String)>,
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

impl Ct2File {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut vars: Vec<&Var> = self.vars.iter().collect();
        vars.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out = Vec::new();
        out.extend_from_slice(&self.version.to_le_bytes());
        if self.version >= 2 {
            put_str(&mut out, &self.spec);
            out.extend_from_slice(&3u32.to_le_bytes());
        }
        out.extend_from_slice(&(vars.len() as u32).to_le_bytes());
        for v in vars {
            put_str(&mut out, &v.name);
            out.push(v.shape.len() as u8);
            for d in &v.shape {
                out.extend_from_slice(&d.to_le_bytes());
            }
            if self.version >= 4 {
                out.push(v.dtype);
                out.extend_from_slice(&(v.bytes.len() as u32).to_le_bytes());
            } else {
                out.push(v.item_size);
                out.extend_from_slice(
                    &((v.bytes.len() / v.item_size as usize) as u32).to_le_bytes(),
                );
            }
            out.extend_from_slice(&v.bytes);
        }
        if self.version >= 3 {
            out.extend_from_slice(&(self.aliases.len() as u32).to_le_bytes());
            for (a, t) in &self.aliases {
                put_str(&mut out, a);
                put_str(&mut out, t);
            }
        }
        out
    }

    pub fn var_mut(&mut self, name: &str) -> &mut Var {
        self.vars.iter_mut().find(|v| v.name == name).expect(name)
    }

    pub fn remove(&mut self, name: &str) -> Var {
        let i = self.vars.iter().position(|v| v.name == name).expect(name);
        self.vars.remove(i)
    }
}

/// Deterministic test values, multiples of 1/64 in [-1, 1]: exact in f16, bf16 and int8/64.
pub fn value(name: &str, index: usize) -> f32 {
    let seed = name
        .bytes()
        .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
    let k = (seed as usize).wrapping_add(index * 7) % 129;
    (k as f32 - 64.0) / 64.0
}

pub struct Dims {
    pub n_state: u32,
    pub n_mels: u32,
    pub n_audio_ctx: u32,
    pub n_text_ctx: u32,
    pub n_layers: usize,
    pub n_heads: i16,
}

pub const SMALL: Dims = Dims {
    n_state: 32,
    n_mels: 80,
    n_audio_ctx: 4,
    n_text_ctx: 3,
    n_layers: 1,
    n_heads: 2,
};

/// Printable GPT-2 spellings: "!", " the", "" (a real empty token, like Whisper's id 50256),
/// "你" (E4 BD A0), then the special tokens.
pub const TOKENS: [&str; 6] = [
    "!",
    "Ġthe",
    "",
    "ä½ł",
    "<|endoftext|>",
    "<|startoftranscript|>",
];
pub const TOKEN_BYTES: [&[u8]; 4] = [b"!", b" the", b"", "你".as_bytes()];

fn float_var(
    name: &str,
    shape: &[u32],
    storage: WeightStorage,
    zero_rows: Option<(usize, usize)>,
) -> Vec<Var> {
    let count: usize = shape.iter().map(|&d| d as usize).product();
    let row_len = count / shape[0] as usize;
    let values: Vec<f32> = (0..count)
        .map(|i| match zero_rows {
            Some((from, to)) if (from * row_len..to * row_len).contains(&i) => 0.0,
            _ => value(name, i),
        })
        .collect();
    let shape = shape.to_vec();
    let name = name.to_owned();
    match storage {
        WeightStorage::F16 => vec![Var {
            bytes: values
                .iter()
                .flat_map(|&v| f32_to_f16_bits(v).to_le_bytes())
                .collect(),
            name,
            shape,
            dtype: 4,
            item_size: 2,
        }],
        WeightStorage::F32 => vec![Var {
            bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            name,
            shape,
            dtype: 0,
            item_size: 4,
        }],
        WeightStorage::BF16 => vec![Var {
            bytes: values
                .iter()
                .flat_map(|v| ((v.to_bits() >> 16) as u16).to_le_bytes())
                .collect(),
            name,
            shape,
            dtype: 5,
            item_size: 2,
        }],
        WeightStorage::Int8 => {
            let rows = shape[0];
            vec![
                Var {
                    bytes: values.iter().map(|v| ((v * 64.0) as i8) as u8).collect(),
                    name: name.clone(),
                    shape,
                    dtype: 1,
                    item_size: 1,
                },
                Var {
                    bytes: (0..rows).flat_map(|_| 64f32.to_le_bytes()).collect(),
                    name: format!("{name}_scale"),
                    shape: vec![rows],
                    dtype: 0,
                    item_size: 4,
                },
            ]
        }
    }
}

fn scalar_i16(name: &str, v: i16) -> Var {
    Var {
        name: name.to_owned(),
        shape: vec![],
        dtype: 2,
        item_size: 2,
        bytes: v.to_le_bytes().to_vec(),
    }
}

fn scalar_i8(name: &str, v: i8) -> Var {
    Var {
        name: name.to_owned(),
        shape: vec![],
        dtype: 1,
        item_size: 1,
        bytes: vec![v as u8],
    }
}

/// A Whisper-shaped CTranslate2 model. Weights are stored as `weights`; biases, norms and
/// position encodings as f16 (f32 when weights are f32, as a float32 CTranslate2 model does).
pub fn whisper_ct2(dims: &Dims, weights: WeightStorage, version: u32) -> Ct2File {
    let n = dims.n_state;
    let others = if weights == WeightStorage::F32 {
        WeightStorage::F32
    } else {
        WeightStorage::F16
    };
    let mut vars = Vec::new();
    let mut w = |name: &str, shape: &[u32]| vars.extend(float_var(name, shape, weights, None));
    w("encoder/conv1/weight", &[n, dims.n_mels, 3]);
    w("encoder/conv2/weight", &[n, n, 3]);
    w("decoder/embeddings/weight", &[TOKENS.len() as u32, n]);
    for stack in ["encoder", "decoder"] {
        for i in 0..dims.n_layers {
            let p = format!("{stack}/layer_{i}");
            w(&format!("{p}/self_attention/linear_0/weight"), &[3 * n, n]);
            w(&format!("{p}/self_attention/linear_1/weight"), &[n, n]);
            w(&format!("{p}/ffn/linear_0/weight"), &[4 * n, n]);
            w(&format!("{p}/ffn/linear_1/weight"), &[n, 4 * n]);
            if stack == "decoder" {
                w(&format!("{p}/attention/linear_0/weight"), &[n, n]);
                w(&format!("{p}/attention/linear_1/weight"), &[2 * n, n]);
                w(&format!("{p}/attention/linear_2/weight"), &[n, n]);
            }
        }
    }
    let mut o = |name: &str, shape: &[u32], zero_rows: Option<(usize, usize)>| {
        vars.extend(float_var(name, shape, others, zero_rows))
    };
    o("encoder/conv1/bias", &[n], None);
    o("encoder/conv2/bias", &[n], None);
    o(
        "encoder/position_encodings/encodings",
        &[dims.n_audio_ctx, n],
        None,
    );
    o(
        "decoder/position_encodings/encodings",
        &[dims.n_text_ctx, n],
        None,
    );
    let nn = n as usize;
    for stack in ["encoder", "decoder"] {
        o(&format!("{stack}/layer_norm/gamma"), &[n], None);
        o(&format!("{stack}/layer_norm/beta"), &[n], None);
        for i in 0..dims.n_layers {
            let p = format!("{stack}/layer_{i}");
            // The key part of fused biases is zero, as whisper has no key bias.
            o(
                &format!("{p}/self_attention/linear_0/bias"),
                &[3 * n],
                Some((nn, 2 * nn)),
            );
            o(&format!("{p}/self_attention/linear_1/bias"), &[n], None);
            o(&format!("{p}/ffn/linear_0/bias"), &[4 * n], None);
            o(&format!("{p}/ffn/linear_1/bias"), &[n], None);
            let mut norms = vec!["self_attention", "ffn"];
            if stack == "decoder" {
                o(&format!("{p}/attention/linear_0/bias"), &[n], None);
                o(
                    &format!("{p}/attention/linear_1/bias"),
                    &[2 * n],
                    Some((0, nn)),
                );
                o(&format!("{p}/attention/linear_2/bias"), &[n], None);
                norms.push("attention");
            }
            for block in norms {
                o(&format!("{p}/{block}/layer_norm/gamma"), &[n], None);
                o(&format!("{p}/{block}/layer_norm/beta"), &[n], None);
            }
        }
    }
    vars.push(scalar_i16("encoder/num_heads", dims.n_heads));
    vars.push(scalar_i16("decoder/num_heads", dims.n_heads));
    vars.push(scalar_i8("decoder/activation", 3));
    vars.push(scalar_i8("decoder/scale_embeddings", 0));
    Ct2File {
        version,
        spec: "WhisperSpec".into(),
        vars,
        aliases: vec![(
            "decoder/projection/weight".into(),
            "decoder/embeddings/weight".into(),
        )],
    }
}

/// The tensor names whisper.cpp expects, in PyTorch state_dict order, for `n_layers` layers.
pub fn expected_tensor_names(n_layers: usize) -> Vec<String> {
    let mut names = vec![
        "encoder.positional_embedding".to_owned(),
        "encoder.conv1.weight".into(),
        "encoder.conv1.bias".into(),
        "encoder.conv2.weight".into(),
        "encoder.conv2.bias".into(),
    ];
    let attn = |p: &str, a: &str| -> Vec<String> {
        [
            "query.weight",
            "query.bias",
            "key.weight",
            "value.weight",
            "value.bias",
            "out.weight",
            "out.bias",
        ]
        .iter()
        .map(|s| format!("{p}.{a}.{s}"))
        .chain([format!("{p}.{a}_ln.weight"), format!("{p}.{a}_ln.bias")])
        .collect()
    };
    let mlp = |p: &str| -> Vec<String> {
        [
            "mlp.0.weight",
            "mlp.0.bias",
            "mlp.2.weight",
            "mlp.2.bias",
            "mlp_ln.weight",
            "mlp_ln.bias",
        ]
        .iter()
        .map(|s| format!("{p}.{s}"))
        .collect()
    };
    for i in 0..n_layers {
        let p = format!("encoder.blocks.{i}");
        names.extend(attn(&p, "attn"));
        names.extend(mlp(&p));
    }
    names.extend([
        "encoder.ln_post.weight".into(),
        "encoder.ln_post.bias".into(),
    ]);
    names.extend([
        "decoder.positional_embedding".into(),
        "decoder.token_embedding.weight".into(),
    ]);
    for i in 0..n_layers {
        let p = format!("decoder.blocks.{i}");
        names.extend(attn(&p, "attn"));
        names.extend(attn(&p, "cross_attn"));
        names.extend(mlp(&p));
    }
    names.extend(["decoder.ln.weight".into(), "decoder.ln.bias".into()]);
    names
}

/// Writes a faster-whisper style directory (model.bin + vocabulary) and returns its path.
pub fn write_ct2_dir(
    parent: &std::path::Path,
    file: &Ct2File,
    json_vocab: bool,
) -> std::path::PathBuf {
    let dir = parent.join("faster-whisper-synthetic");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.bin"), file.to_bytes()).unwrap();
    if json_vocab {
        std::fs::write(
            dir.join("vocabulary.json"),
            serde_json::to_vec(&TOKENS).unwrap(),
        )
        .unwrap();
    } else {
        std::fs::write(dir.join("vocabulary.txt"), TOKENS.join("\n") + "\n").unwrap();
    }
    std::fs::write(dir.join("config.json"), "{}").unwrap();
    dir
}
