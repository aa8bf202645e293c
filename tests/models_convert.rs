//! The CTranslate2 -> ggml converter and its pieces, on small synthetic models built here:
//! header parsing, aliases, QKV/KV splits, dtype handling, version errors, f16 rounding, the
//! Slaney mel filterbank and the GPT-2 byte vocabulary.

mod models_common;

use std::path::Path;

use callqa::models::ct2::Ct2Model;
use callqa::models::ggml::{self, f16_bits_to_f32, f32_to_f16_bits, parse_ggml, GgmlLayout};
use callqa::models::mel::slaney_mel_filters;
use callqa::models::vocab::{bpe_token_bytes, gpt2_unicode_to_byte, parse_vocabulary};
use callqa::models::ModelError;
use models_common::*;

fn token_strings() -> Vec<String> {
    TOKENS.iter().map(|s| s.to_string()).collect()
}

fn convert_bytes(file_bytes: Vec<u8>) -> Result<Vec<u8>, ModelError> {
    let model = Ct2Model::parse(file_bytes, Path::new("synthetic/model.bin"))?;
    let tokens = bpe_token_bytes(&token_strings()).unwrap();
    let mut out = Vec::new();
    ggml::write_ggml_from_ct2(&model, &tokens, &mut out, Path::new("synthetic.ggml"))?;
    Ok(out)
}

fn convert(file: &Ct2File) -> Result<Vec<u8>, ModelError> {
    convert_bytes(file.to_bytes())
}

fn layout(bytes: &[u8]) -> GgmlLayout {
    parse_ggml(bytes, Path::new("synthetic.ggml")).expect("converter output parses")
}

fn f16_values(name: &str, range: std::ops::Range<usize>) -> Vec<u8> {
    range
        .flat_map(|i| f32_to_f16_bits(value(name, i)).to_le_bytes())
        .collect()
}

fn f32_values(name: &str, range: std::ops::Range<usize>) -> Vec<u8> {
    range.flat_map(|i| value(name, i).to_le_bytes()).collect()
}

#[test]
fn header_and_variables_are_parsed() {
    let file = whisper_ct2(&SMALL, WeightStorage::F16, 6);
    let model = Ct2Model::parse(file.to_bytes(), Path::new("m.bin")).unwrap();
    assert_eq!(
        (model.version, model.spec.as_str(), model.revision),
        (6, "WhisperSpec", 3)
    );
    let qkv = model
        .variable("encoder/layer_0/self_attention/linear_0/weight")
        .unwrap();
    assert_eq!(qkv.shape, vec![96, 32]);
    assert_eq!(model.scalar_int("encoder/num_heads"), Some(2));
    assert_eq!(model.scalar_int("decoder/activation"), Some(3));
    assert_eq!(model.aliases().len(), 1);
    // The alias resolves to the stored tensor.
    let projection = model.variable("decoder/projection/weight").unwrap();
    assert_eq!(projection.name, "decoder/embeddings/weight");
}

#[test]
fn synthetic_model_converts_to_whisper_cpp_layout() {
    let out = convert(&whisper_ct2(&SMALL, WeightStorage::F16, 6)).unwrap();
    let layout = layout(&out);
    let hp = layout.hparams;
    assert_eq!(
        [
            hp.n_vocab,
            hp.n_audio_ctx,
            hp.n_audio_state,
            hp.n_audio_head,
            hp.n_audio_layer,
            hp.n_text_ctx,
            hp.n_text_state,
            hp.n_text_head,
            hp.n_text_layer,
            hp.n_mels,
            hp.ftype
        ],
        [6, 4, 32, 2, 1, 3, 32, 2, 1, 80, 1]
    );
    assert_eq!(layout.mel_shape, (80, 201));
    let mel_bytes: Vec<u8> = slaney_mel_filters(16_000, 400, 80)
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert_eq!(&out[56..56 + mel_bytes.len()], &mel_bytes[..]);
    let vocab: Vec<&[u8]> = layout.vocab.iter().map(Vec::as_slice).collect();
    assert_eq!(vocab, TOKEN_BYTES.to_vec());

    let names: Vec<&str> = layout.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, expected_tensor_names(1));

    let tensor = |name: &str| layout.tensors.iter().find(|t| t.name == name).unwrap();
    let data = |name: &str| &out[tensor(name).data.clone()];
    // Types and (reversed) dims follow convert-pt-to-ggml.py.
    assert_eq!(
        (
            tensor("encoder.conv1.weight").ttype,
            tensor("encoder.conv1.weight").ne.clone()
        ),
        (1, vec![3, 80, 32])
    );
    assert_eq!(
        (
            tensor("encoder.conv1.bias").ttype,
            tensor("encoder.conv1.bias").ne.clone()
        ),
        (0, vec![1, 32])
    );
    assert_eq!(
        (
            tensor("encoder.positional_embedding").ttype,
            tensor("encoder.positional_embedding").ne.clone()
        ),
        (0, vec![32, 4])
    );
    assert_eq!(tensor("decoder.positional_embedding").ttype, 0);
    assert_eq!(
        (
            tensor("decoder.token_embedding.weight").ttype,
            tensor("decoder.token_embedding.weight").ne.clone()
        ),
        (1, vec![32, 6])
    );
    assert_eq!(
        (
            tensor("encoder.blocks.0.mlp.0.weight").ttype,
            tensor("encoder.blocks.0.mlp.0.weight").ne.clone()
        ),
        (1, vec![32, 128])
    );
    assert_eq!(tensor("encoder.blocks.0.attn_ln.weight").ttype, 0);

    // The fused QKV matrix is split by rows; the (zero) key bias is dropped.
    let qkv = "encoder/layer_0/self_attention/linear_0/weight";
    let n = 32 * 32;
    assert_eq!(
        data("encoder.blocks.0.attn.query.weight"),
        f16_values(qkv, 0..n)
    );
    assert_eq!(
        data("encoder.blocks.0.attn.key.weight"),
        f16_values(qkv, n..2 * n)
    );
    assert_eq!(
        data("encoder.blocks.0.attn.value.weight"),
        f16_values(qkv, 2 * n..3 * n)
    );
    let qkv_bias = "encoder/layer_0/self_attention/linear_0/bias";
    assert_eq!(
        data("encoder.blocks.0.attn.query.bias"),
        f32_values(qkv_bias, 0..32)
    );
    assert_eq!(
        data("encoder.blocks.0.attn.value.bias"),
        f32_values(qkv_bias, 64..96)
    );
    assert!(!names.contains(&"encoder.blocks.0.attn.key.bias"));
    // Cross attention: key and value fused in linear_1, query alone in linear_0.
    let kv = "decoder/layer_0/attention/linear_1/weight";
    assert_eq!(
        data("decoder.blocks.0.cross_attn.key.weight"),
        f16_values(kv, 0..n)
    );
    assert_eq!(
        data("decoder.blocks.0.cross_attn.value.weight"),
        f16_values(kv, n..2 * n)
    );
    assert_eq!(
        data("decoder.blocks.0.cross_attn.value.bias"),
        f32_values("decoder/layer_0/attention/linear_1/bias", 32..64)
    );
    assert_eq!(
        data("decoder.blocks.0.cross_attn.out.weight"),
        f16_values("decoder/layer_0/attention/linear_2/weight", 0..n)
    );
    assert_eq!(
        data("encoder.ln_post.bias"),
        f32_values("encoder/layer_norm/beta", 0..32)
    );
    assert_eq!(
        data("decoder.blocks.0.mlp_ln.weight"),
        f32_values("decoder/layer_0/ffn/layer_norm/gamma", 0..32)
    );
    assert_eq!(
        data("encoder.positional_embedding"),
        f32_values("encoder/position_encodings/encodings", 0..128)
    );
}

#[test]
fn every_weight_dtype_gives_the_same_ggml() {
    let reference = convert(&whisper_ct2(&SMALL, WeightStorage::F16, 6)).unwrap();
    for storage in [WeightStorage::F32, WeightStorage::BF16, WeightStorage::Int8] {
        let out = convert(&whisper_ct2(&SMALL, storage, 6)).unwrap();
        assert!(
            out == reference,
            "{storage:?} weights converted differently"
        );
    }
    // Binary versions 4 and 5 share the layout of 6; version 3 stores item sizes instead of
    // dtypes (2 bytes meant int16 then), so only float32 models survive it.
    for version in [4, 5] {
        assert!(convert(&whisper_ct2(&SMALL, WeightStorage::F16, version)).unwrap() == reference);
    }
    assert!(convert(&whisper_ct2(&SMALL, WeightStorage::F32, 3)).unwrap() == reference);
}

#[test]
fn f32_weights_are_rounded_to_nearest_even_f16() {
    let mut file = whisper_ct2(&SMALL, WeightStorage::F32, 6);
    let var = file.var_mut("encoder/layer_0/ffn/linear_0/weight");
    // 1 + 2^-11 is halfway between two f16 values: ties go to even (1.0).
    let tricky = [
        1.0 + 2f32.powi(-11),
        1.0 + 3.0 * 2f32.powi(-11),
        70000.0,
        -1e-9,
    ];
    for (i, v) in tricky.iter().enumerate() {
        var.bytes[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
    }
    let out = convert(&file).unwrap();
    let layout = layout(&out);
    let t = layout
        .tensors
        .iter()
        .find(|t| t.name == "encoder.blocks.0.mlp.0.weight")
        .unwrap();
    let first: Vec<u16> = out[t.data.start..t.data.start + 8]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(first, vec![0x3c00, 0x3c02, 0x7c00, 0x8000]);
}

#[test]
fn aliased_tensors_are_found_through_the_alias() {
    // Store the embeddings under the projection name and alias the embeddings to it.
    let mut file = whisper_ct2(&SMALL, WeightStorage::F16, 6);
    let reference = convert(&file).unwrap();
    file.var_mut("decoder/embeddings/weight").name = "decoder/projection/weight".into();
    file.aliases = vec![(
        "decoder/embeddings/weight".into(),
        "decoder/projection/weight".into(),
    )];
    assert!(convert(&file).unwrap() == reference);

    // int8: the alias carries its `_scale` along, as in CTranslate2.
    let mut file = whisper_ct2(&SMALL, WeightStorage::Int8, 6);
    file.var_mut("decoder/embeddings/weight").name = "decoder/projection/weight".into();
    file.var_mut("decoder/embeddings/weight_scale").name = "decoder/projection/weight_scale".into();
    file.aliases = vec![(
        "decoder/embeddings/weight".into(),
        "decoder/projection/weight".into(),
    )];
    assert!(convert(&file).unwrap() == reference);
}

#[test]
fn unsupported_binary_versions_are_named() {
    for version in [1u32, 7, 99] {
        let mut bytes = whisper_ct2(&SMALL, WeightStorage::F16, 6).to_bytes();
        bytes[..4].copy_from_slice(&version.to_le_bytes());
        let err = Ct2Model::parse(bytes, Path::new("dir/model.bin")).unwrap_err();
        assert!(
            matches!(err, ModelError::Ct2Version { version: v, .. } if v == version),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("dir/model.bin") && message.contains(&format!("version {version}")),
            "{message}"
        );
    }
}

#[test]
fn truncated_and_padded_files_are_reported() {
    let bytes = whisper_ct2(&SMALL, WeightStorage::F16, 6).to_bytes();
    for cut in [3, 40, bytes.len() / 2, bytes.len() - 1] {
        let err = Ct2Model::parse(bytes[..cut].to_vec(), Path::new("m.bin")).unwrap_err();
        assert!(err.to_string().contains("truncated"), "cut at {cut}: {err}");
    }
    let mut padded = bytes.clone();
    padded.push(0);
    let err = Ct2Model::parse(padded, Path::new("m.bin")).unwrap_err();
    assert!(err.to_string().contains("unexpected bytes"), "{err}");
}

#[test]
fn bad_byte_counts_and_dtypes_are_reported() {
    let mut file = whisper_ct2(&SMALL, WeightStorage::F16, 6);
    file.var_mut("encoder/conv1/bias").bytes.pop();
    let err = Ct2Model::parse(file.to_bytes(), Path::new("m.bin")).unwrap_err();
    assert!(err.to_string().contains("encoder/conv1/bias"), "{err}");

    let mut file = whisper_ct2(&SMALL, WeightStorage::F16, 6);
    file.var_mut("encoder/conv1/bias").dtype = 42;
    let err = Ct2Model::parse(file.to_bytes(), Path::new("m.bin")).unwrap_err();
    assert!(err.to_string().contains("unknown dtype id 42"), "{err}");
}

#[test]
fn models_the_converter_cannot_represent_are_refused() {
    // A non-zero key bias would be silently lost.
    let mut file = whisper_ct2(&SMALL, WeightStorage::F16, 6);
    let bias = file.var_mut("decoder/layer_0/self_attention/linear_0/bias");
    bias.bytes[2 * 40..2 * 40 + 2].copy_from_slice(&f32_to_f16_bits(0.5).to_le_bytes());
    let err = convert(&file).unwrap_err();
    assert!(err.to_string().contains("non-zero key bias"), "{err}");

    // An unknown tensor means a model variant we do not understand.
    let mut file = whisper_ct2(&SMALL, WeightStorage::F16, 6);
    let mut extra = file.remove("encoder/conv1/bias");
    let conv_bias = Var {
        name: "encoder/conv1/bias".into(),
        ..clone_var(&extra)
    };
    extra.name = "encoder/adapter/weight".into();
    file.vars.push(conv_bias);
    file.vars.push(extra);
    let err = convert(&file).unwrap_err();
    assert!(err.to_string().contains("encoder/adapter/weight"), "{err}");

    // A missing tensor is named.
    let mut file = whisper_ct2(&SMALL, WeightStorage::F16, 6);
    file.remove("decoder/layer_0/attention/linear_2/weight");
    let err = convert(&file).unwrap_err();
    assert!(
        err.to_string()
            .contains("decoder/layer_0/attention/linear_2/weight is missing"),
        "{err}"
    );

    // Not Whisper at all.
    let mut file = whisper_ct2(&SMALL, WeightStorage::F16, 6);
    file.spec = "TransformerSpec".into();
    let err = convert(&file).unwrap_err();
    assert!(err.to_string().contains("not a Whisper model"), "{err}");

    // A quantized weight without its scale.
    let mut file = whisper_ct2(&SMALL, WeightStorage::Int8, 6);
    file.remove("encoder/conv2/weight_scale");
    let err = convert(&file).unwrap_err();
    assert!(
        err.to_string()
            .contains("encoder/conv2/weight_scale is missing"),
        "{err}"
    );
}

fn clone_var(v: &Var) -> Var {
    Var {
        name: v.name.clone(),
        shape: v.shape.clone(),
        dtype: v.dtype,
        item_size: v.item_size,
        bytes: v.bytes.clone(),
    }
}

#[test]
fn missing_num_heads_falls_back_to_64_wide_heads() {
    let dims = Dims {
        n_state: 128,
        ..SMALL
    };
    let mut file = whisper_ct2(&dims, WeightStorage::F16, 6);
    file.remove("encoder/num_heads");
    file.remove("decoder/num_heads");
    let out = convert(&file).unwrap();
    let hp = layout(&out).hparams;
    assert_eq!((hp.n_audio_head, hp.n_text_head), (2, 2));
}

#[test]
fn f16_conversion_is_exact_both_ways() {
    for bits in 0..=u16::MAX {
        let exponent = (bits >> 10) & 0x1f;
        let is_nan = exponent == 0x1f && bits & 0x3ff != 0;
        let back = f32_to_f16_bits(f16_bits_to_f32(bits));
        if is_nan {
            assert!(f16_bits_to_f32(bits).is_nan());
        } else {
            assert_eq!(back, bits, "f16 {bits:#06x} does not round-trip");
        }
    }
    assert_eq!(f32_to_f16_bits(1.0), 0x3c00);
    assert_eq!(f32_to_f16_bits(65504.0), 0x7bff);
    assert_eq!(f32_to_f16_bits(65520.0), 0x7c00); // ties to even overflows to infinity
    assert_eq!(f32_to_f16_bits(2f32.powi(-24)), 0x0001);
    assert_eq!(f32_to_f16_bits(2f32.powi(-25)), 0x0000); // tie with zero goes to even
    assert_eq!(f32_to_f16_bits(1.5 * 2f32.powi(-25)), 0x0001);
    assert_eq!(f32_to_f16_bits(-0.0), 0x8000);
    assert_eq!(f32_to_f16_bits(f32::NEG_INFINITY), 0xfc00);
    assert!(f16_bits_to_f32(f32_to_f16_bits(f32::NAN)).is_nan());
    assert_eq!(f16_bits_to_f32(0x0001), 2f32.powi(-24));
    assert_eq!(f16_bits_to_f32(0xc000), -2.0);
}

#[test]
fn mel_filters_match_whisper_npz_bit_for_bit() {
    let filters = slaney_mel_filters(16_000, 400, 80);
    assert_eq!(filters.len(), 80 * 201);
    // sha256 of whisper/assets/mel_filters.npz["mel_80"] as little-endian f32 (openai-whisper
    // 20250625), which librosa.filters.mel(sr=16000, n_fft=400, n_mels=80) reproduces.
    let bytes: Vec<u8> = filters.iter().flat_map(|v| v.to_le_bytes()).collect();
    assert_eq!(
        callqa::models::cache::sha256_hex(&bytes),
        "4f2701b1d287d74a0dc9871026e9519d98cb76426615f2539b0d151a0ae4ec2e"
    );
    let at = |row: usize, col: usize| filters[row * 201 + col];
    // Entries as f32 bit patterns (computed with numpy, librosa's formula).
    for (row, col, bits) in [
        (0, 1, 0x3ccbaca4u32),
        (1, 1, 0x3b027873),
        (1, 2, 0x3cbb5d95),
        (5, 6, 0x3c7442b7),
        (20, 19, 0x3c33c4be),
        (40, 43, 0x3c716d72),
        (60, 90, 0x3abc06fc),
        (79, 186, 0x39c0473c),
        (79, 187, 0x3a5a6262),
    ] {
        assert_eq!(at(row, col).to_bits(), bits, "filter [{row}][{col}]");
    }
    // numpy.maximum keeps the -0.0 at the very first entry; the npz has it too.
    assert_eq!(at(0, 0).to_bits(), 0x8000_0000);
    assert_eq!(filters.iter().filter(|v| **v != 0.0).count(), 391);
    // Slaney normalisation: every triangle has area 2 / bandwidth, so row sums are ~0.0249 in
    // the linear part (below 1 kHz) and similar above.
    let row_sum = |row: usize| (0..201).map(|c| at(row, c) as f64).sum::<f64>();
    assert!((row_sum(0) - 0.024_862_594_902_515_41).abs() < 1e-9);
    assert!((row_sum(40) - 0.026664861012250185).abs() < 1e-9);
    assert!((row_sum(79) - 0.024925339792389423).abs() < 1e-9);
}

#[test]
fn gpt2_byte_table_round_trips_all_bytes() {
    let table = gpt2_unicode_to_byte();
    assert_eq!(table.len(), 256);
    let mut bytes: Vec<u8> = table.values().copied().collect();
    bytes.sort_unstable();
    assert_eq!(bytes, (0..=255).collect::<Vec<u8>>());
    assert_eq!(table[&'Ġ'], b' ');
    assert_eq!(table[&'Ċ'], b'\n');
    assert_eq!(table[&'!'], b'!');
    assert_eq!(table[&'ā'], 0x01);
    assert_eq!(table[&'ł'], 0xa0);
}

#[test]
fn vocabularies_keep_empty_tokens_and_stop_at_endoftext() {
    let txt = parse_vocabulary(TOKENS.join("\n").as_bytes(), false).unwrap();
    let txt_newline = parse_vocabulary((TOKENS.join("\n") + "\n").as_bytes(), false).unwrap();
    let json = parse_vocabulary(&serde_json::to_vec(&TOKENS).unwrap(), true).unwrap();
    assert_eq!(txt, token_strings());
    assert_eq!(txt_newline, token_strings());
    assert_eq!(json, token_strings());
    let bytes = bpe_token_bytes(&json).unwrap();
    assert_eq!(
        bytes.iter().map(Vec::as_slice).collect::<Vec<_>>(),
        TOKEN_BYTES.to_vec()
    );

    let err = bpe_token_bytes(&["a".to_string(), "b".to_string()]).unwrap_err();
    assert!(err.contains("<|endoftext|>"), "{err}");
    let err = bpe_token_bytes(&["中".to_string(), "<|endoftext|>".to_string()]).unwrap_err();
    assert!(err.contains("GPT-2 byte table"), "{err}");
    assert!(parse_vocabulary(b"{\"not\": \"a list\"}", true).is_err());
}

#[test]
fn hparams_name_the_model_size() {
    let out = convert(&whisper_ct2(&SMALL, WeightStorage::F16, 6)).unwrap();
    let mut hp = layout(&out).hparams;
    assert_eq!(hp.size_name(), "custom");
    (
        hp.n_audio_layer,
        hp.n_text_layer,
        hp.n_audio_state,
        hp.n_vocab,
    ) = (6, 6, 512, 51865);
    assert_eq!(hp.size_name(), "base");
    hp.n_vocab = 51864;
    assert_eq!(hp.size_name(), "base.en");
    (
        hp.n_audio_layer,
        hp.n_text_layer,
        hp.n_audio_state,
        hp.n_vocab,
        hp.n_mels,
    ) = (32, 4, 1280, 51866, 128);
    assert_eq!(hp.size_name(), "large-v3-turbo");
    (hp.n_text_layer, hp.n_mels) = (2, 80);
    assert_eq!(hp.size_name(), "distil-large");
}
