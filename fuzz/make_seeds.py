#!/usr/bin/env python3
"""Writes the starting corpora to fuzz/corpus-work/TARGET/seed-* (run once before fuzzing;
the kept, minimised corpora are fuzz/corpus/TARGET). Small files only: WAVs are cut to 4 KB."""
import glob, math, os, re, struct, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
work = os.path.join(root, "fuzz", "corpus-work")


def put(target, name, data):
    d = os.path.join(work, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data[:64 * 1024])


# --- wav: real recordings' headers, and one tiny file per encoding the decoder supports
for p in sorted(glob.glob(os.path.join(root, "fixtures", "**", "*.wav"), recursive=True)) + \
        sorted(glob.glob(os.path.join(root, "..", "shared", "audio", "**", "*.wav"), recursive=True)):
    put("wav", os.path.basename(p), open(p, "rb").read(4096))


def wav(fmt_tag, channels, rate, bits, frames, extensible=False, rf64=False, extra=b""):
    block = channels * bits // 8
    data = bytes((i * 37) & 0xFF for i in range(frames * block))
    if extensible:
        guid = struct.pack("<H", fmt_tag) + bytes.fromhex("000000001000800000aa00389b71")
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * block, block, bits, 22, bits, 3) + guid
    else:
        fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra
    if rf64:
        ds64 = struct.pack("<QQQI", 0, len(data), frames, 0)
        body = b"WAVE" + b"ds64" + struct.pack("<I", len(ds64)) + ds64 + body[4:]
        return b"RF64" + struct.pack("<I", 0xFFFFFFFF) + body + b"data" + struct.pack("<I", 0xFFFFFFFF) + data
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


cases = {
    "pcm8": wav(1, 1, 8000, 8, 200), "pcm16": wav(1, 2, 16000, 16, 200),
    "pcm24": wav(1, 1, 44100, 24, 200), "pcm32": wav(1, 2, 48000, 32, 100),
    "float32": wav(3, 1, 16000, 32, 100), "float64": wav(3, 2, 22050, 64, 50),
    "alaw": wav(6, 1, 8000, 8, 300), "mulaw": wav(7, 2, 8000, 8, 300),
    "ext16": wav(1, 2, 8000, 16, 100, extensible=True), "extfloat": wav(3, 1, 8000, 32, 100, extensible=True),
    "rf64": wav(1, 1, 8000, 16, 100, rf64=True),
    "list": wav(1, 1, 8000, 16, 100, extra=b"LIST" + struct.pack("<I", 5) + b"INFOx\x00"),
}
for name, data in cases.items():
    put("wav", name + ".wav", data)

# --- transcript: the fixtures' JSON transcripts (small ones)
for p in sorted(glob.glob(os.path.join(root, "fixtures", "**", "*.json"), recursive=True)):
    if os.path.getsize(p) <= 16 * 1024:
        put("transcript", p.replace(root + "/", "").replace("/", "_"), open(p, "rb").read())

# --- rubric: the bundled rubric and every rubric the language tests embed ([patterns] etc.)
# (the whole bundled rubric, 58 KB, takes about 1 s per run instrumented: it goes in as three
# parts of whole sections, 12 to 24 KB each, after the header and [negation])
bundled = open(os.path.join(root, "rubrics", "cs-standard.toml"), encoding="utf-8").read()
sections = re.split(r"(?m)^(?=\[)", bundled)
head = "".join(s for s in sections if s.startswith("[rubric]") or s.startswith("[negation]"))
chunk = ""
for i, section in enumerate(s for s in sections if not s.startswith(("[rubric]", "[negation]"))):
    if chunk and len(head) + len(chunk) + len(section) > 16 * 1024:
        put("rubric", f"cs-standard-part{i}.toml", (head + chunk).encode())
        chunk = ""
    chunk += section
put("rubric", "cs-standard-last.toml", (head + chunk).encode())
header = '[rubric]\nid = "t"\npass_score = 80\nmin_confidence = 0.5\n'
for p in sorted(glob.glob(os.path.join(root, "tests", "*.rs"))):
    text = open(p, encoding="utf-8").read()
    for i, m in enumerate(re.finditer(r'r#+"(.*?)"#+', text, re.S)):
        body = m.group(1)
        if "[rubric]" in body:
            put("rubric", f"{os.path.basename(p)}-{i}.toml", body.encode())
        elif re.search(r"^\[\[?(items|phrases|patterns|named|negation)", body, re.M):
            put("rubric", f"{os.path.basename(p)}-{i}.toml", (header + body).encode())

# --- manifest: the fixture manifest and a few shapes of header
put("manifest", "calls.csv", open(os.path.join(root, "fixtures", "audio", "calls.csv"), "rb").read())
put("manifest", "minimal.csv", b"audio\na.wav\nb.wav\n")
put("manifest", "quoted.csv", '\ufeffcall_id,audio,agent_channel\n"x,1","a b.wav",right\n# note\n\n'.encode())

# --- model: the head of the cached base model (header, filters, vocabulary, first tensors) and
# a whole tiny model with the same layout (1 layer, small dims are refused: keep it as is)
cache = os.environ.get("CALLQA_MODEL_DIR") or os.path.expanduser("~/.cache/callqa/models")
for name in ["ggml-base.bin", "ggml-base-q8_0.bin"]:
    p = os.path.join(cache, name)
    if os.path.exists(p):
        put("model", name + ".head", open(p, "rb").read(64 * 1024))

# The tensor table of the tiny model `fuzz/entry.rs` puts in front of each input (all f32, every
# dimension 1, 80 mels, 1 layer each), the token embedding last and cut short by the 64 KB limit.
def tensor(name, ne):
    data = struct.pack("<iii", len(ne), len(name), 0) + b"".join(struct.pack("<i", d) for d in ne)
    return data + name.encode() + bytes(4 * math.prod(ne))

table = [("encoder.positional_embedding", [1, 1]), ("encoder.conv1.weight", [3, 80, 1]),
         ("encoder.conv1.bias", [1, 1]), ("encoder.conv2.weight", [3, 1, 1]),
         ("encoder.conv2.bias", [1, 1]), ("encoder.ln_post.weight", [1]), ("encoder.ln_post.bias", [1])]
def block(p, cross):
    t = [(f"{p}.mlp_ln.weight", [1]), (f"{p}.mlp_ln.bias", [1]), (f"{p}.mlp.0.weight", [1, 4]),
         (f"{p}.mlp.0.bias", [4]), (f"{p}.mlp.2.weight", [4, 1]), (f"{p}.mlp.2.bias", [1])]
    for a in ["attn"] + (["cross_attn"] if cross else []):
        t += [(f"{p}.{a}_ln.weight", [1]), (f"{p}.{a}_ln.bias", [1])]
        for proj in ["query", "key", "value", "out"]:
            t.append((f"{p}.{a}.{proj}.weight", [1, 1]))
            if proj != "key":
                t.append((f"{p}.{a}.{proj}.bias", [1]))
    return t
table += block("encoder.blocks.0", False)
table += [("decoder.positional_embedding", [1, 1]), ("decoder.ln.weight", [1]), ("decoder.ln.bias", [1])]
table += block("decoder.blocks.0", True)
body = b"".join(tensor(n, ne) for n, ne in table)
put("model", "tiny-table.bin", body)
put("model", "tiny-table-embedding.bin", body + tensor("decoder.token_embedding.weight", [1, 51864]))
put("model", "tiny-table-half.bin", body[: len(body) // 2])
