#!/usr/bin/python3
"""Markdown tables for docs/SCHEMES.md from `medcrypt analyze --scheme all --json` reports.

  scheme_table.py REPORT.json [REPORT.json ...]

The first report gives the per-image table (one row per image and scheme); with several reports (other
--seed values) a last table counts, per scheme, how many of the Wu and chi-square tests pass at each
alpha over all of them.
"""
import json
import os
import sys

ALPHAS = ("0.05", "0.01", "0.001")


def mark(passes):
    return "".join("P" if passes[a] else "-" for a in ALPHAS)


def row(image):
    ch = image["cipher"]["channels"]
    ps, kc = image["plaintext_sensitivity"], image["key_sensitivity"]["cipher"]
    bits8 = all(c.get("entropy_bytes") is not None for c in ch)
    return "| {} | {} | {:.4f} | {:.4f} | {:.3f} | {:.4f} | {:.4f} {} | {:.4f} {} | {:.4f} {} | {:.4f} {} |".format(
        os.path.basename(image["file"])[:34], image["scheme"],
        min(c["entropy"] for c in ch), min(c["entropy_bytes"] for c in ch) if bits8 else float("nan"),
        min(c["chi_square_p"] for c in ch),
        max(abs(v) for c in ch for v in c["correlation"].values()),
        ps["npcr"], mark(ps["npcr_pass"]), ps["uaci"], mark(ps["uaci_pass"]),
        kc["npcr"], mark(kc["npcr_pass"]), kc["uaci"], mark(kc["uaci_pass"]))


def main(paths):
    reports = [json.load(open(p)) for p in paths]
    print("| image | scheme | entropy (min over channels) | entropy over bytes | chi-square p (min) | max abs correlation H/V/D "
          "| plaintext NPCR % | plaintext UACI % | key NPCR % | key UACI % |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for image in sorted(reports[0]["images"], key=lambda i: (i["scheme"], i["file"])):
        print(row(image))
    print()
    print("| scheme | test | pass at 0.05 | pass at 0.01 | pass at 0.001 |")
    print("|---|---|---|---|---|")
    counts = {}
    for report in reports:
        for image in report["images"]:
            tests = {"plaintext NPCR": image["plaintext_sensitivity"]["npcr_pass"],
                     "plaintext UACI": image["plaintext_sensitivity"]["uaci_pass"],
                     "key NPCR": image["key_sensitivity"]["cipher"]["npcr_pass"],
                     "key UACI": image["key_sensitivity"]["cipher"]["uaci_pass"]}
            for c in image["cipher"]["channels"]:
                tests.setdefault("chi-square", {a: True for a in ALPHAS})
                for a in ALPHAS:
                    tests["chi-square"][a] = tests["chi-square"][a] and c["chi_square_pass"][a]
            for name, passes in tests.items():
                entry = counts.setdefault((image["scheme"], name), {a: [0, 0] for a in ALPHAS})
                for a in ALPHAS:
                    entry[a][0] += bool(passes[a])
                    entry[a][1] += 1
    for (scheme, name), entry in sorted(counts.items()):
        print("| {} | {} | {} |".format(scheme, name, " | ".join("%d/%d" % tuple(entry[a]) for a in ALPHAS)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
