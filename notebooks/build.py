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
        "share and the longest monologue; conversation KPIs per agent-week; onboarding "
        "curves; the best calls to learn from and the lowest-scoring ones. Customer-side "
        "metrics exist only where the customer consented; elsewhere they are null with a "
        "reason, never zero."
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
    md(
        "## Conversation KPIs per agent and week\n\nTalk ratio, interactivity, patience, "
        "interruptions and silence need both sides, so consent; the calls measured are counted."
    ),
    code(
        """weeks = q('''
    select agent_id, team, week_start, calls, calls_agent_measured, calls_both_measured,
           speech_rate_wpm, question_rate_per_min, talk_ratio, interactivity_per_min,
           patience_s, agent_interruptions_per_call, silence_share,
           customer_metrics_missing_reason
    from fct_agent_weekly_kpis order by agent_id, week_start
''')
display(weeks)
kpis = ["speech_rate_wpm", "question_rate_per_min", "talk_ratio", "interactivity_per_min"]
fig, axes = plt.subplots(1, len(kpis), figsize=(14, 3.2))
for ax, kpi in zip(axes, kpis, strict=True):
    rows = weeks.drop_nulls(kpi).sort(kpi)
    ax.barh([f"{a} {d:%m-%d}" for a, d in zip(rows["agent_id"], rows["week_start"], strict=True)],
            rows[kpi])
    ax.set_title(kpi)
    ax.tick_params(axis="y", labelsize=7)
plt.tight_layout()"""
    ),
    md(
        "## Onboarding: KPIs by tenure week\n\nWeek 0 is the agent's first week with calls; "
        "new agents' curves can be read against the team's experienced agents."
    ),
    code(
        """curves = q('''
    select agent_id, tenure_week, calls, calls_agent_measured, speech_rate_wpm,
           question_rate_per_min, call_score, success_rate
    from fct_onboarding_curves order by agent_id, tenure_week
''')
display(curves)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for agent in sorted(curves["agent_id"].unique()):
    rows = curves.filter(pl.col("agent_id") == agent)
    axes[0].plot(rows["tenure_week"], rows["call_score"], marker="o", label=agent)
    axes[1].plot(rows["tenure_week"], rows["speech_rate_wpm"], marker="o", label=agent)
axes[0].set_title("call score (0-100)")
axes[1].set_title("speech rate (wpm)")
for ax in axes:
    ax.set_xlabel("tenure week")
    ax.xaxis.get_major_locator().set_params(integer=True)
axes[0].legend(fontsize=7)
plt.tight_layout()"""
    ),
    md("## Best-practice library: the top calls per outcome, and why"),
    code(
        """q('''
    select outcome, rank_in_outcome, call_id, agent_id, call_score, why_picked
    from fct_best_practice_calls order by outcome, rank_in_outcome
''')"""
    ),
    md("## Learning from mistakes: the lowest-scoring calls per team and week"),
    code(
        """q('''
    select team, week_start, rank_in_team_week, call_id, agent_id, call_score, why_flagged
    from fct_lowest_scoring_calls order by team, week_start, rank_in_team_week
''')"""
    ),
)

notebook(
    "pain_points",
    md(
        "# Customer pain points\n\nTracker phrases (pains, objections, competitors, buying "
        "signals; `dbt/seeds/tracker_phrases.csv`, five languages) found in the transcripts: "
        "which share of calls hits each, per team and week, and each team's key pains. "
        "Customer speech counts only where the customer consented to these purposes."
    ),
    code(SETUP),
    md("## Share of calls with a hit, by tracker and team"),
    code(
        """weekly = q('''
    select week_start, team, tracker_category, tracker, calls_searched, calls_with_hit, hits
    from fct_tracker_weekly
''')
period = (
    weekly.group_by("team", "tracker_category", "tracker")
    .agg(pl.col("calls_with_hit").sum(), pl.col("calls_searched").sum())
    .with_columns(call_share=(pl.col("calls_with_hit") / pl.col("calls_searched")).round(3))
)
hit = period.filter(pl.col("calls_with_hit") > 0).sort("call_share", descending=True)
display(hit)
teams = sorted(hit["team"].unique())
colours = {"pain": "crimson", "objection": "darkorange", "competitor": "slategray",
           "buying_signal": "seagreen"}
fig, axes = plt.subplots(1, max(len(teams), 1), figsize=(6 * max(len(teams), 1), 3.5),
                         squeeze=False)
for ax, team in zip(axes[0], teams, strict=False):
    rows = hit.filter(pl.col("team") == team).sort("call_share")
    ax.barh(rows["tracker"], rows["call_share"],
            color=[colours.get(c, "steelblue") for c in rows["tracker_category"]])
    ax.set_title(f"{team} (colour: category)")
    ax.set_xlabel("share of calls with a hit")
    ax.set_xlim(0, 1)
plt.tight_layout()"""
    ),
    md("## Trend per week of the most frequent trackers"),
    code(
        """trend = (
    weekly.group_by("week_start", "tracker")
    .agg(pl.col("calls_with_hit").sum(), pl.col("calls_searched").sum())
    .with_columns(call_share=pl.col("calls_with_hit") / pl.col("calls_searched"))
    .sort("week_start")
)
top = (
    hit.group_by("tracker").agg(pl.col("calls_with_hit").sum())
    .sort("calls_with_hit", descending=True).head(6)["tracker"]
)
fig, ax = plt.subplots(figsize=(8, 3.2))
for tracker in top:
    rows = trend.filter(pl.col("tracker") == tracker)
    ax.plot([str(d) for d in rows["week_start"]], rows["call_share"], marker="o", label=tracker)
ax.set_xlabel("week")
ax.set_ylabel("share of calls with a hit")
ax.legend(fontsize=7)
plt.tight_layout()"""
    ),
    md("## Key pains per team"),
    code(
        """q('''
    select team, pain_rank, tracker, calls_with_pain, calls_searched, call_share,
           customer_hits, recent_call_share
    from fct_team_key_pains order by team, pain_rank
''')"""
    ),
    md("## The hits themselves: matched words and times, to listen to"),
    code(
        """q('''
    select call_id, track, tracker_category, tracker, matched_words, start_s, end_s
    from fct_tracker_hits order by call_id, start_s limit 25
''')"""
    ),
)

notebook(
    "nps",
    md(
        "# NPS\n\nSurvey answers joined to their calls: NPS = % promoters (9-10) - % "
        "detractors (0-6), by team, agent and tracker. A period's NPS is recomputed from the "
        "counts, never averaged from weekly NPS."
    ),
    code(SETUP),
    code(
        """responses = q('''
    select call_id, team, agent_id, outcome, nps_score, nps_class, trackers_hit
    from fct_survey_responses order by call_id
''')
display(responses)
colours = {"promoter": "seagreen", "passive": "goldenrod", "detractor": "crimson"}
counts = responses.group_by("nps_score", "nps_class").len().sort("nps_score")
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.bar(counts["nps_score"], counts["len"], color=[colours[c] for c in counts["nps_class"]])
ax.set_xticks(range(11))
ax.set_xlabel("score (colour: promoter, passive, detractor)")
ax.set_ylabel("responses")
plt.tight_layout()"""
    ),
    md("## NPS by team, agent and tracker over the whole period"),
    code(
        """groups = q('''
    select dimension, dimension_value,
           sum(responses) as responses, sum(promoters) as promoters,
           sum(passives) as passives, sum(detractors) as detractors,
           round(100.0 * (sum(promoters) - sum(detractors)) / sum(responses), 1) as nps
    from fct_nps_weekly group by all order by dimension, nps desc
''')
display(groups)
dimensions = [d for d in ("team", "agent", "tracker") if d in set(groups["dimension"])]
fig, axes = plt.subplots(1, max(len(dimensions), 1), figsize=(5 * max(len(dimensions), 1), 3.2),
                         squeeze=False)
for ax, dimension in zip(axes[0], dimensions, strict=False):
    rows = groups.filter(pl.col("dimension") == dimension).sort("nps")
    ax.barh(rows["dimension_value"], rows["nps"],
            color=["crimson" if v < 0 else "seagreen" for v in rows["nps"]])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlim(-100, 100)
    ax.set_title(f"NPS by {dimension}")
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
