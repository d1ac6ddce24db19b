"""A search's own files: search.json (figures, bounds, history, front) and the front as HTML."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from fuseflow.search.problem import Candidate, SearchResult, gap

SCHEMA = "fuseflow.search/1"


def search_summary(result: SearchResult) -> dict[str, Any]:
    """The search result as plain JSON-ready data (same seed -> identical data)."""
    b = result.bounds
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "algorithm": result.algorithm,
        "objective": result.objective,
        "seed": result.seed,
        "evaluations": result.evaluations,
        "interrupted": result.interrupted,
        "allocation": result.allocation.tolist(),
        "latency_cycles": result.latency_cycles,
        "energy_pj": result.energy_pj,
        "edp": result.edp,
        "bounds": {
            "latency_cycles": b.latency_cycles,
            "energy_pj": b.energy_pj,
            "edp": b.edp,
            "latency_parts": dict(b.latency_parts),
            "energy_parts": dict(b.energy_parts),
        },
        "gap": {
            "latency": _finite(gap(result.latency_cycles, b.latency_cycles)),
            "energy": _finite(gap(result.energy_pj, b.energy_pj)),
            "edp": _finite(gap(result.edp, b.edp)),
        },
        "history": [list(h) for h in result.history],
        "pareto": [_point(c) for c in result.pareto],
        "notes": list(result.notes),
    }
    if result.split_layers:  # a split search: the factors chosen (allocation is of that graph)
        out["splits"] = result.splits
    return out


def write_search(result: SearchResult, out_dir: str | Path) -> list[Path]:
    """Write ``search.json`` and, when the result has a front, ``pareto.json`` + ``pareto.html``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "search.json"]
    files[0].write_text(json.dumps(search_summary(result), indent=1) + "\n")
    if result.pareto:
        files += write_pareto(result, out)
    return files


def write_pareto(result: SearchResult, out_dir: Path) -> list[Path]:
    """The latency/energy front as JSON and as a self-contained interactive plotly chart."""
    import plotly.graph_objects as go

    front = [_point(c) for c in result.pareto]
    json_path = out_dir / "pareto.json"
    json_path.write_text(json.dumps({"schema": SCHEMA, "front": front}, indent=1) + "\n")
    fig = go.Figure(
        go.Scatter(
            x=[p["latency_cycles"] for p in front],
            y=[p["energy_pj"] / 1e6 for p in front],
            mode="lines+markers",
            line={"shape": "hv"},
            text=[f"EDP {p['edp']:.4g}" for p in front],
            hovertemplate="latency %{x:,} cc<br>energy %{y:.3f} uJ<br>%{text}<extra></extra>",
            name="front",
        )
    )
    best = result.best
    fig.add_trace(
        go.Scatter(
            x=[best.latency_cycles],
            y=[best.energy_pj / 1e6],
            mode="markers",
            marker={"size": 14, "symbol": "star"},
            name=f"best {result.objective}",
        )
    )
    fig.update_layout(
        title=f"Latency / energy front ({result.algorithm}, seed {result.seed}, "
        f"{result.evaluations} evaluations)",
        xaxis_title="latency (cycles)",
        yaxis_title="energy (uJ)",
        template="plotly_white",
    )
    html_path = out_dir / "pareto.html"
    fig.write_html(html_path, include_plotlyjs=True, full_html=True)
    return [json_path, html_path]


def _point(c: Candidate) -> dict[str, Any]:
    out: dict[str, Any] = {
        "latency_cycles": c.latency_cycles,
        "energy_pj": c.energy_pj,
        "edp": c.edp,
        "allocation": c.allocation.tolist(),
    }
    if c.splits:
        out["split_factors"] = list(c.splits)
    return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
