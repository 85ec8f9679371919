"""Write the analyst notebooks from the cells below (run after editing: ``uv run python
notebooks/build.py``). Keeping the source here makes notebook changes reviewable as code."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

sys.path.insert(0, str(Path(__file__).parent))
from _cells import SETUP

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}


def notebook(name: str, *cells: tuple[str, str]) -> None:
    NOTEBOOKS[name] = list(cells)


def md(text: str) -> tuple[str, str]:
    return ("md", text)


def code(text: str) -> tuple[str, str]:
    return ("code", text)


notebook(
    "compliance_overview",
    md(
        "# Compliance overview\n\nWhat lydspor stores, on which legal basis, and how fast customer "
        "audio is deleted. Needs an owner or admin (the compliance tables are not in other "
        "roles' sessions)."
    ),
    code(SETUP),
    md("## Objects by class and legal basis: alive and deleted"),
    code(
        """objects = q('''
    select object_class, legal_basis,
           count(*) filter (where deleted_at is null) as alive,
           count(deleted_at) as deleted
    from compliance.stored_objects group by all order by object_class, legal_basis
''')
display(objects)
pairs = zip(objects["object_class"], objects["legal_basis"], strict=True)
labels = [f"{c}\\n{b}" for c, b in pairs]
fig, ax = plt.subplots(figsize=(9, 3.5))
ax.barh(labels, objects["alive"], label="alive")
ax.barh(labels, objects["deleted"], left=objects["alive"], label="deleted")
ax.set_xlabel("objects")
ax.legend()
plt.tight_layout()"""
    ),
    md(
        "## Customer audio: time from storage to deletion\n\nTemporary legitimate interest "
        "allows at most 24 h; audio with no basis goes at once."
    ),
    code(
        """customer = q('''
    select legal_basis,
           date_diff('millisecond', created_at, deleted_at) / 1000.0 as seconds_kept,
           deleted_at <= deadline as on_time
    from compliance.stored_objects
    where object_class = 'customer_audio' and deleted_at is not null
''')
summary = customer.group_by("legal_basis").agg(
    pl.len().alias("deleted"),
    pl.col("seconds_kept").median().alias("median_s"),
    pl.col("seconds_kept").max().alias("max_s"),
    pl.col("on_time").all(),
).sort("legal_basis")
display(summary)
# Log scale: deletions take seconds, the cap is a day.
fig, ax = plt.subplots(figsize=(8, 2.5))
ax.barh(summary["legal_basis"], summary["max_s"].clip(lower_bound=0.1), label="longest kept")
ax.axvline(24 * 3600, color="red", linestyle="--", label="24 h cap (temporary interest)")
ax.set_xscale("log")
ax.set_xlim(0.1, 48 * 3600)
ax.set_xlabel("seconds between storage and deletion (log)")
ax.legend(loc="lower right")
plt.tight_layout()"""
    ),
    md("## Deletions per day, on time or late"),
    code(
        """per_day = q('''
    select cast(deleted_at as date) as day,
           count(*) filter (where deleted_at <= deadline) as on_time,
           count(*) filter (where deleted_at > deadline) as late
    from compliance.deletion_receipts group by all order by day
''')
display(per_day)
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar([str(d) for d in per_day["day"]], per_day["on_time"], label="on time")
ax.bar([str(d) for d in per_day["day"]], per_day["late"], bottom=per_day["on_time"],
       label="late", color="crimson")
ax.set_ylabel("receipts")
ax.legend()
plt.tight_layout()"""
    ),
    md(
        "## Nothing alive past its deadline\n\nThe pipeline's blocking check enforces this; "
        "the notebook shows it."
    ),
    code(
        """overdue = q('''
    select object_key, object_class, deadline from compliance.stored_objects
    where deleted_at is null and deadline < now()
''')
print(f"{overdue.height} objects alive past their deadline")
overdue"""
    ),
    md("## Consent outcomes per track, and the audit log"),
    code(
        """display(q('''
    select track, legal_basis, consent_valid, reason, count(*) as calls
    from compliance.consent_lineage group by all order by track, calls desc
'''))
q("select action, count(*) as entries from compliance.audit_log group by all order by 2 desc")"""
    ),
)

notebook(
    "coaching",
    md(
        "# Coaching\n\nThe agent's own speech, per call and per agent: speech rate, talk "
        "share and the longest monologue. Customer-side metrics exist only where the "
        "customer consented; elsewhere they are null with a reason, never zero."
    ),
    code(SETUP),
    code(
        """calls = q('''
    select agent_id, team, call_date, speech_rate_wpm, agent_talk_share, longest_monologue_s,
           metrics_missing_reason
    from fct_call_coaching order by call_date
''')
display(calls.group_by("agent_id", "team").agg(
    pl.len().alias("calls"),
    pl.col("speech_rate_wpm").mean().round(1),
    pl.col("longest_monologue_s").max(),
    pl.col("metrics_missing_reason").drop_nulls().alias("missing"),
).sort("agent_id"))"""
    ),
    code(
        """usable = calls.drop_nulls("speech_rate_wpm")
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
agents = sorted(usable["agent_id"].unique())
axes[0].boxplot([usable.filter(pl.col("agent_id") == a)["speech_rate_wpm"] for a in agents])
axes[0].set_xticks(range(1, len(agents) + 1), agents, rotation=20)
axes[0].axhspan(130, 160, alpha=0.15, label="typical 130-160 wpm")
axes[0].set_title("speech rate (wpm) per call")
axes[0].legend()
axes[1].scatter(usable["agent_talk_share"], usable["longest_monologue_s"])
axes[1].set_xlabel("agent talk share of the call")
axes[1].set_ylabel("longest monologue (s)")
axes[1].set_title("monologues vs talk share")
plt.tight_layout()"""
    ),
)


def build(out_dir: Path = Path(__file__).parent) -> list[Path]:
    written = []
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(
            # Stable cell ids keep rebuilt notebooks diff-free.
            cells=[
                new_markdown_cell(t, id=f"{name}-{i}")
                if k == "md"
                else new_code_cell(t, id=f"{name}-{i}")
                for i, (k, t) in enumerate(cells)
            ],
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
        )
        path = out_dir / f"{name}.ipynb"
        nbformat.write(nb, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(path)
