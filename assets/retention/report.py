"""The compliance report: one self-contained HTML file (no scripts, no external assets)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

_env = Environment(
    loader=PackageLoader("assets.retention", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def deletion_chart(per_day: list[dict], width: int = 640, height: int = 180) -> list[dict]:
    """Bars (on time, late) per day, laid out for an inline SVG."""
    if not per_day:
        return []
    top = max(d["on_time"] + d["late"] for d in per_day) or 1
    slot = width / len(per_day)
    bars = []
    for i, day in enumerate(per_day):
        on_time_h = (height - 30) * day["on_time"] / top
        late_h = (height - 30) * day["late"] / top
        x = i * slot + slot * 0.15
        bars.append(
            {
                "day": day["day"],
                "x": round(x, 1),
                "w": round(slot * 0.7, 1),
                "on_time": day["on_time"],
                "late": day["late"],
                "on_time_y": round(height - 20 - on_time_h, 1),
                "on_time_h": round(on_time_h, 1),
                "late_y": round(height - 20 - on_time_h - late_h, 1),
                "late_h": round(late_h, 1),
            }
        )
    return bars


def render_report(report: dict) -> str:
    template = _env.get_template("compliance_report.html.j2")
    return template.render(r=report, bars=deletion_chart(report["deletions_per_day"]))


def write_report(report: dict, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(report), encoding="utf-8")
    return out
