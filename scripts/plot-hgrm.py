#!/usr/bin/env python3
"""Plot the HdrHistogram percentile files (.hgrm) of a directory as one SVG latency-by-percentile chart.

Usage: scripts/plot-hgrm.py DIR [OUT.svg] [--title TEXT]

x: percentile on the usual 1/(1-p) log axis (50%, 90%, 99%, ...); y: latency in microseconds (the .hgrm values as
written by `./clearing bench`), log scale. One line per file, named by the file's stem. Standard library only.
"""
import math
import os
import sys
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 960, 600
LEFT, RIGHT, TOP, BOTTOM = 80, 220, 50, 60
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]


def read_hgrm(path):
    """Returns [(x, value)] with x = 1/(1-p), skipping the p = 1 row (infinite x)."""
    points = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) != 4 or line.lstrip().startswith("#"):
                continue
            try:
                value, x = float(parts[0]), float(parts[3])
            except ValueError:
                continue  # the column header
            if value > 0 and math.isfinite(x) and x >= 1:
                points.append((x, value))
    return points


def max_value(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#[Max"):
                return float(line.split("=")[1].split(",")[0])
    return None


def percentile_label(x):
    p = 100.0 - 100.0 / x
    text = ("%.6f" % p).rstrip("0").rstrip(".")
    return text + "%"


def main(argv):
    args = [a for a in argv[1:]]
    title = "Latency by percentile"
    if "--title" in args:
        i = args.index("--title")
        title = args[i + 1]
        del args[i:i + 2]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    directory = args[0]
    out = args[1] if len(args) > 1 else os.path.join(directory, "latency.svg")
    files = sorted(f for f in os.listdir(directory) if f.endswith(".hgrm"))
    series = []
    for name in files:
        points = read_hgrm(os.path.join(directory, name))
        if points:
            series.append((name[:-len(".hgrm")], points, max_value(os.path.join(directory, name))))
    if not series:
        print("no .hgrm files with data in " + directory, file=sys.stderr)
        return 1

    x_max_decade = max(1, math.ceil(math.log10(max(x for _, pts, _ in series for x, _ in pts))))
    values = [v for _, pts, _ in series for _, v in pts]
    y_lo = math.floor(math.log10(min(values)))
    y_hi = math.ceil(math.log10(max(values)))
    if y_hi == y_lo:
        y_hi += 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x):
        return LEFT + plot_w * math.log10(x) / x_max_decade

    def sy(v):
        return TOP + plot_h * (1 - (math.log10(v) - y_lo) / (y_hi - y_lo))

    svg = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="sans-serif" font-size="12">' % (WIDTH, HEIGHT, WIDTH, HEIGHT),
           '<rect x="0" y="0" width="%d" height="%d" fill="white"/>' % (WIDTH, HEIGHT),
           '<text x="%d" y="25" font-size="16" text-anchor="middle">%s</text>' % (LEFT + plot_w // 2, escape(title))]
    for d in range(0, x_max_decade + 1):
        x = sx(10 ** d)
        svg.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (x, TOP, x, TOP + plot_h))
        svg.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                   % (x, TOP + plot_h + 18, escape(percentile_label(10 ** d))))
    for d in range(y_lo, y_hi + 1):
        y = sy(10 ** d)
        svg.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (LEFT, y, LEFT + plot_w, y))
        label = ("%g" % (10 ** d)) if d >= 0 else ("%.*f" % (-d, 10 ** d))
        svg.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (LEFT - 6, y + 4, label))
    svg.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="black"/>'
               % (LEFT, TOP, plot_w, plot_h))
    svg.append('<text x="%d" y="%d" text-anchor="middle">percentile</text>' % (LEFT + plot_w // 2, HEIGHT - 15))
    svg.append('<text x="18" y="%d" text-anchor="middle" transform="rotate(-90 18 %d)">latency (us)</text>'
               % (TOP + plot_h // 2, TOP + plot_h // 2))
    for i, (name, points, maximum) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join("%s%.1f,%.1f" % ("M" if j == 0 else "L", sx(x), sy(v)) for j, (x, v) in enumerate(points))
        svg.append('<path d="%s" fill="none" stroke="%s" stroke-width="1.5"/>' % (path, colour))
        y = TOP + 10 + 18 * i
        svg.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>'
                   % (LEFT + plot_w + 12, y, LEFT + plot_w + 32, y, colour))
        legend = name if maximum is None else "%s (max %g us)" % (name, maximum)
        svg.append('<text x="%d" y="%d">%s</text>' % (LEFT + plot_w + 38, y + 4, escape(legend)))
    svg.append("</svg>")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(svg) + "\n")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
