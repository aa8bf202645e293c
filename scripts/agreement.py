#!/usr/bin/env python3
"""Item agreement of `callqa score` with the labels (`expect`) of fixture folders.

usage: scripts/agreement.py [--callqa BIN] [--rubric R] [-v] DIR...
Prints, per folder and overall, the share of (call, item) verdicts that equal the
label, and per item the disagreements (-v lists each one).
"""
import argparse, collections, glob, json, os, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--callqa", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "callqa"))
ap.add_argument("--rubric")
ap.add_argument("-v", action="store_true")
ap.add_argument("dirs", nargs="+")
a = ap.parse_args()
total = [0, 0]
per_item_all = collections.Counter()
for d in a.dirs:
    files = sorted(glob.glob(os.path.join(d, "*.json")))
    if not files:
        continue
    cmd = [a.callqa, "score", "-f", "jsonl"] + (["--rubric", a.rubric] if a.rubric else []) + files
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    cards = {}
    for line in out.splitlines():
        c = json.loads(line)
        cards[c["call_id"]] = c
    agree = n = 0
    miss = collections.defaultdict(list)
    for f in files:
        t = json.load(open(f))
        card = cards.get(t["call_id"])
        if card is None:
            print(f"{f}: no scorecard", file=sys.stderr)
            continue
        got = {i["id"]: i for i in card["items"]}
        for item, want in t.get("expect", {}).items():
            n += 1
            g = got.get(item, {}).get("verdict")
            if g == want:
                agree += 1
            else:
                miss[item].append((t["call_id"], want, g, got.get(item, {}).get("reason", "")))
    total[0] += agree; total[1] += n
    print(f"{d}: {agree}/{n} = {100*agree/max(n,1):.1f}% item agreement ({len(files)} calls)")
    for item, v in sorted(miss.items(), key=lambda kv: -len(kv[1])):
        per_item_all[item] += len(v)
        print(f"  {item}: {len(v)} off")
        if a.v:
            for cid, want, g, reason in v:
                print(f"      {cid}: want {want}, got {g} — {reason}")
if len(a.dirs) > 1:
    print(f"overall: {total[0]}/{total[1]} = {100*total[0]/max(total[1],1):.1f}%")
