"""The self-contained HTML report: the results table, the chart (embedded, so the one file can be mailed or
attached to a CI run, and linked to the PNG beside it), notes, the parity gate, the baseline comparison and
the environment. No script, no external stylesheet or font: it renders offline and in any browser."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

from .rows import BenchReport

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1400px;
padding:0 16px;color:#1b1b1b}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#555;margin:0 0 12px}table{border-collapse:collapse;font-size:12.5px}
th,td{border:1px solid #d0d0d0;padding:3px 7px;text-align:right;white-space:nowrap}
th{background:#f2f4f7;position:sticky;top:0}td.l,th.l{text-align:left}
tr.ok td.s{color:#137333}tr.failed td{background:#fdecea}tr.failed td.s{color:#b3261e;font-weight:600}
tr.unavailable td{color:#777}tr.missing td.s{color:#8a6100}td.fail{color:#b3261e;font-weight:600}
td.pass{color:#137333}.scroll{overflow-x:auto}img{max-width:100%;height:auto;border:1px solid #e3e3e3}
code{background:#f5f5f5;padding:1px 4px;border-radius:3px}ul{padding-left:20px}.bad{color:#b3261e}
.good{color:#137333}
"""
LEFT = {"Format", "Status", "Precision", "Parity", "Verdict", "Key", "Value"}


def _table(head: list[str], cells: list[list[str]], row_classes: list[str] | None = None) -> str:
    out = ["<div class='scroll'><table><thead><tr>"]
    out += [f"<th class='{'l' if h in LEFT else ''}'>{escape(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(cells):
        cls = row_classes[i] if row_classes else ""
        out.append(f"<tr class='{escape(cls)}'>")
        for h, c in zip(head, row, strict=True):
            kind = ["l" if h in LEFT else "", "s" if h == "Status" else ""]
            if h in ("Parity", "Verdict"):
                kind.append("fail" if ("FAIL" in c or "REGRESSION" in c) else "pass" if c in ("pass", "ok") else "")
            out.append(f"<td class='{' '.join(k for k in kind if k)}'>{escape(c)}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def html(report: BenchReport, png: bytes, files: dict[str, Path] | None = None) -> str:
    """The report as one HTML document; `files` are linked relative to the HTML file's folder."""
    from . import baseline as bl
    from .report_table import busy_warning, notes, recommendation, table

    s, env = report.settings, report.environment
    head, cells = table(report)
    title = f"yolocls-bench: {s.get('model_name')} at {s.get('imgsz')}px"
    meta = (f"{report.created} · model <code>{escape(str(s.get('model')))}</code>"
            f"{' (built-in demo)' if s.get('demo') else ''} · data <code>{escape(str(s.get('data')))}</code> "
            f"({s.get('val_images')} val images) · device {escape(str(s.get('device')))} · batch-1 latency over "
            f"{escape(str(s.get('runs')))} runs after {s.get('warmup')} warm-up · threads "
            f"{escape(str(s.get('threads') or 'runtime default'))} · total {report.wall_s:.1f} s")
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{escape(title)}</h1><p class='meta'>{meta}</p>"]
    if s.get("command"):
        parts.append(f"<p class='meta'>Command: <code>{escape(s['command'])}</code></p>")
    busy = busy_warning(report)
    if busy:
        parts.append(f"<p class='bad'><b>Warning</b>: {escape(busy)}</p>")
    parts += ["<h2>Results</h2>", _table(head, cells, [r.status for r in report.rows]),
              "<p class='meta'>Median/p90/p99 ms: pure inference at batch 1 on a preprocessed image. E2E ms: per "
              "image from the file (decode, preprocess, inference, top-5). img/s @b: throughput at batch b. Agree %, "
              "max Δp, mean Δp: top-1 agreement and |p − p_ref| against the PyTorch reference over the whole val "
              "split; Parity applies the tolerance of the precision that ran. RSS MB: peak resident memory of the "
              "process that loaded and ran the artifact.</p>"]
    rec = recommendation(report)
    if rec:
        parts.append(f"<p class='good'><b>Recommended</b>: {escape(rec)}</p>")
    png_name = files["png"].name if files and "png" in files else None
    img = (f"<img src='data:image/png;base64,{base64.b64encode(png).decode()}' alt='latency per format (median "
           f"bar, p90/p99 whiskers) and throughput per batch size'>")
    parts += ["<h2>Latency and throughput</h2>",
              f"<a href='{escape(png_name)}'>{img}</a>" if png_name else img]
    n = notes(report)
    if n:
        parts += ["<h2>Notes</h2><ul>", *[f"<li>{escape(x.replace('**', ''))}</li>" for x in n], "</ul>"]
    gate = report.gate
    parts += ["<h2>Parity gate</h2>",
              f"<p class='{'good' if gate.passed else 'bad'}'>{escape(gate.summary()).replace(chr(10), '<br>')}</p>"]
    if report.baseline:
        c = report.baseline
        bh, bc = bl.table(c)
        parts += ["<h2>Compared with the baseline</h2>",
                  f"<p class='meta'>Baseline <code>{escape(c.baseline)}</code>; a latency regression is a batch-1 "
                  f"median above {c.max_slowdown:g}x the baseline's, outside both runs' interquartile ranges.</p>"]
        parts += [f"<p class='bad'>not comparable: {escape(x)}</p>" for x in c.notes]
        parts.append(_table(bh, bc))
        parts.append(f"<p class='{'good' if c.passed else 'bad'}'>"
                     + ("baseline comparison passed" if c.passed else
                        "baseline comparison FAILED:<br>" + "<br>".join(escape(f) for f in c.failures)) + "</p>")
    parts += ["<h2>Environment</h2>", _table(["Key", "Value"], _env_rows(env))]
    if files:
        links = [f"<a href='{escape(p.name)}'>{escape(p.name)}</a>" for k, p in files.items() if k != "html"]
        parts.append("<h2>Files</h2><p>" + " · ".join(links) + "</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _env_rows(env: dict[str, Any]) -> list[list[str]]:
    rows = [[k, str(env.get(k))] for k in ("cpu", "cores", "usable_cores", "memory_gb", "os", "python", "torch",
                                           "numpy", "yolocls", "git_commit")]
    if env.get("cpu_flags"):
        rows.append(["cpu flags", " ".join(env["cpu_flags"])])
    la = env.get("load_average") or {}
    if la:
        rows.append(["load average (1 min)", f"{la.get('start')} at start, {la.get('end')} at end"])
    rows += [[f"runtime {k}", str(v)] for k, v in sorted((env.get("runtimes") or {}).items())]
    rows += [[f"package {k}", str(v)] for k, v in sorted((env.get("packages") or {}).items())]
    return rows
