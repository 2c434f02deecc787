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
    # The legend sits above the plot: below it, it collides with long category labels on a phone.
    layout = dict(font=dict(family=FONT, size=13), margin=dict(l=50, r=10, t=40, b=40), height=320,
                  yaxis=dict(title=dict(text=y_title), rangemode="tozero", automargin=True),
                  xaxis=dict(type="category", automargin=True),
                  legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"), colorway=COLORS)
    return layout | extra


def _count_axis(title: str, series: dict[str, list], stacked: bool) -> dict:
    """An axis of counts: whole numbers only (no "0.5 次" tick), from zero."""
    columns = zip(*series.values()) if stacked else ([v] for values in series.values() for v in values)
    top = max((sum(v or 0 for v in column) for column in columns), default=0)
    axis = dict(title=dict(text=title), rangemode="tozero", tickformat=",d", automargin=True)
    return axis | (dict(dtick=1) if top <= 10 else {})


def has_data(series: dict[str, list]) -> bool:
    """Anything to draw: a chart of zeros and blanks is left out (its table says it all)."""
    return any(v not in (None, 0) for values in series.values() for v in values)


def _chart(id: str, title: str, fig: go.Figure, axis: str, categories: list, series: dict[str, list],
           shown=lambda v: v) -> Chart:
    rows = [[c, *(shown(values[n]) for values in series.values())] for n, c in enumerate(categories)]
    return Chart(id, title, json.loads(fig.to_json()), [axis, *series], rows)


def bars(id: str, title: str, axis: str, categories: list, series: dict[str, list], y_title: str,
         stacked: bool = False, horizontal: bool = False) -> Chart | None:
    """Bars of counts, or None when every count is zero. Horizontal: long category names (departments)
    read along the bars instead of colliding under them."""
    if not has_data(series):
        return None
    names = [str(c) for c in categories]
    counts = _count_axis(y_title, series, stacked)
    if horizontal:
        traces = [go.Bar(name=name, y=names, x=values, orientation="h") for name, values in series.items()]
        layout = _layout(y_title, barmode="stack" if stacked else "group", height=90 + 24 * len(names) * len(series),
                         xaxis=counts, yaxis=dict(type="category", autorange="reversed", automargin=True))
    else:
        traces = [go.Bar(name=name, x=names, y=values) for name, values in series.items()]
        layout = _layout(y_title, barmode="stack" if stacked else "group", yaxis=counts)
    return _chart(id, title, go.Figure(traces, layout=layout), axis, categories, series)


def shares(id: str, title: str, years: list, series: dict[str, list], target: float | None = None) -> Chart | None:
    """Percentages over years, with an optional target line (e.g. the 10% joint share); None when
    no year has a percentage."""
    if not any(v is not None for values in series.values() for v in values):
        return None
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
