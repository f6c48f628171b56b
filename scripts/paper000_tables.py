#!/usr/bin/python3
"""Paper 000's Tables 1, 2, 3, 5 and 6 beside medcrypt's figures, for docs/SCHEMES.md.

  paper000_tables.py REPORT.json

REPORT.json: the reports of `medcrypt analyze IMAGES --scheme S --json` for S in aead, chaos-henon and
chaos-henon:paper, their "images" lists joined. The paper's Image k sits beside the k-th image named. Every figure of the paper is
copied from its text (../shared/papers/000_2533d3dd5a680b35.txt); ours are the report's.
"""
import json
import os
import sys

# Paper 000, Tables 1, 2, 3 and 5: Images 1-5 (Table 5 has Images 1-4 only); Table 6's "Proposed" row.
PAPER = {
    "entropy": [7.9992, 7.9994, 7.9993, 7.9984, 7.9989],
    "chi_square": [260.9, 241.1, 231.5, 270.5, 212.8],
    "correlation_plain": [(0.987, 0.976, 0.962), (0.991, 0.991, 0.976), (0.987, 0.976, 0.962),
                          (0.977, 0.981, 0.976), (0.981, 0.973, 0.942)],  # V, H, D
    "correlation_cipher": [(-0.011, 0.019, 0.014), (0.005, -0.007, -0.041), (-0.022, 0.006, 0.008),
                           (-0.041, 0.009, 0.004), (0.062, 0.081, 0.062)],
    "npcr": [99.60, 99.61, 99.63, 99.61, None],
    "uaci": [33.41, 33.40, 33.44, 33.45, None],
    "table6": (99.61, 33.42),
}
SCHEMES = ("aead", "chaos-henon", "chaos-henon:paper")


def vhd(correlation):
    return tuple(correlation[d] for d in ("vertical", "horizontal", "diagonal"))


def fmt3(values):
    return " / ".join("%.3f" % v for v in values)


def main(path):
    images = json.load(open(path))["images"]
    files = list(dict.fromkeys(i["file"] for i in images))  # as the command line named them
    by = {(i["file"], i["scheme"]): i for i in images}
    name = {f: os.path.basename(f) for f in files}

    def paper_cell(key, k, form="%.4f"):
        values = PAPER[key]
        return form % values[k] if k < len(values) and values[k] is not None else ""

    print("**Table 1, entropy of the cipher image** (bits; 16-bit images over their words, max 16)\n")
    print("| image | paper (Image k) | " + " | ".join(SCHEMES) + " |")
    print("|---|---|" + "---|" * len(SCHEMES))
    for k, f in enumerate(files):
        cells = ["%.4f" % min(c["entropy"] for c in by[(f, s)]["cipher"]["channels"]) for s in SCHEMES]
        print("| %s | %s | %s |" % (name[f], paper_cell("entropy", k), " | ".join(cells)))

    print("\n**Table 2, chi-square statistic of the cipher histogram** (256 bins for 8-bit images, 2^16 for "
          "16-bit; 5 % critical value 293.2 for 255 degrees of freedom)\n")
    print("| image | paper (Image k) | " + " | ".join(SCHEMES) + " |")
    print("|---|---|" + "---|" * len(SCHEMES))
    for k, f in enumerate(files):
        cells = ["%.1f" % max(c["chi_square"] for c in by[(f, s)]["cipher"]["channels"]) for s in SCHEMES]
        print("| %s | %s | %s |" % (name[f], paper_cell("chi_square", k, "%.1f"), " | ".join(cells)))

    print("\n**Table 3, correlation of adjacent pixels V / H / D** (all adjacent pairs)\n")
    print("| image | paper plain | ours plain | paper cipher | " + " | ".join(SCHEMES) + " |")
    print("|---|---|---|---|" + "---|" * len(SCHEMES))
    for k, f in enumerate(files):
        plain = vhd(by[(f, SCHEMES[0])]["plain"]["channels"][0]["correlation"])
        cells = [fmt3(vhd(by[(f, s)]["cipher"]["channels"][0]["correlation"])) for s in SCHEMES]
        paper_plain = fmt3(PAPER["correlation_plain"][k]) if k < 5 else ""
        paper_cipher = fmt3(PAPER["correlation_cipher"][k]) if k < 5 else ""
        print("| %s | %s | %s | %s | %s |" % (name[f], paper_plain, fmt3(plain), paper_cipher, " | ".join(cells)))

    print("\n**Table 5, NPCR / UACI for one plain sample changed** (%, same key; Wu's expected values for "
          "8-bit images 99.6094 / 33.4635)\n")
    print("| image | paper (Image k) | " + " | ".join(SCHEMES) + " |")
    print("|---|---|" + "---|" * len(SCHEMES))
    totals = {s: [0.0, 0.0] for s in SCHEMES}
    eight_bit = [f for f in files if by[(f, SCHEMES[0])]["geometry"]["bits_allocated"] == 8]
    for k, f in enumerate(files):
        cells = []
        for s in SCHEMES:
            ps = by[(f, s)]["plaintext_sensitivity"]
            cells.append("%.2f / %.2f" % (ps["npcr"], ps["uaci"]))
            if f in eight_bit:
                totals[s][0] += ps["npcr"]
                totals[s][1] += ps["uaci"]
        paper = "%.2f / %.2f" % (PAPER["npcr"][k], PAPER["uaci"][k]) if k < 4 else ""
        print("| %s | %s | %s |" % (name[f], paper, " | ".join(cells)))

    print("\n**Table 6, the mean NPCR / UACI** (ours over the %d 8-bit images)\n" % len(eight_bit))
    print("| method | NPCR | UACI |")
    print("|---|---|---|")
    print("| paper 000 (\"Proposed\") | %.2f | %.2f |" % PAPER["table6"])
    for s in SCHEMES:
        n = max(len(eight_bit), 1)
        print("| %s | %.2f | %.2f |" % (s, totals[s][0] / n, totals[s][1] / n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
