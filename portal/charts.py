"""Plotly figures for the pages. A figure is rendered in the browser by static/charts.js from
its JSON (no inline script, so the CSP holds); every chart's numbers are also in a table beside it."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import plotly.graph_objects as go

FONT = "system-ui, 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
COLORS = ["#1f5f9e", "#b71c1c", "#5d8a3a", "#8a5a00", "#6a3d9a"]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    figure: dict  # plotly JSON: data and layout
    columns: list[str]  # the same numbers as a table: header…
    rows: list[list]  # …and one row per category


def _layout(y_title: str, **extra) -> dict:
    layout = dict(font=dict(family=FONT, size=13), margin=dict(l=50, r=10, t=10, b=40), height=320,
                  yaxis=dict(title=dict(text=y_title), rangemode="tozero"), xaxis=dict(type="category"),
                  legend=dict(orientation="h", y=-0.2), colorway=COLORS)
    return layout | extra


def _chart(id: str, title: str, fig: go.Figure, axis: str, categories: list, series: dict[str, list],
           shown=lambda v: v) -> Chart:
    rows = [[c, *(shown(values[n]) for values in series.values())] for n, c in enumerate(categories)]
    return Chart(id, title, json.loads(fig.to_json()), [axis, *series], rows)


def bars(id: str, title: str, axis: str, categories: list, series: dict[str, list], y_title: str,
         stacked: bool = False) -> Chart:
    fig = go.Figure([go.Bar(name=name, x=[str(c) for c in categories], y=values) for name, values in series.items()],
                    layout=_layout(y_title, barmode="stack" if stacked else "group"))
    return _chart(id, title, fig, axis, categories, series)


def shares(id: str, title: str, years: list, series: dict[str, list], target: float | None = None) -> Chart:
    """Percentages over years, with an optional target line (e.g. the 10% joint share)."""
    traces = [go.Scatter(name=name, x=[str(y) for y in years], y=[None if v is None else round(v * 100, 1)
                                                                  for v in values], mode="lines+markers")
              for name, values in series.items()]
    fig = go.Figure(traces, layout=_layout("%", yaxis=dict(title=dict(text="%"), range=[0, 100])))
    if target is not None:
        fig.add_hline(y=target * 100, line_dash="dash", line_color="#555",
                      annotation_text=f"目标 {target * 100:.0f}%")
    return _chart(id, title, fig, "年度", years, series, lambda v: "—" if v is None else f"{v * 100:.1f}%")


def entity_history(inspections) -> Chart:
    """An entity's inspections per year, split by whether problems were found."""
    years = sorted({i.completed_on.year for i in inspections if i.completed_on})
    found = Counter(i.completed_on.year for i in inspections if i.completed_on and i.problems_found)
    clean = Counter(i.completed_on.year for i in inspections if i.completed_on and not i.problems_found)
    return bars("chart-history", "各年度抽查次数", "年度", years,
                {"未发现问题": [clean[y] for y in years], "发现问题": [found[y] for y in years]}, "次", stacked=True)
