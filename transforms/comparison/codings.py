"""Answer codings of Öppna jämförelser factors, read from each KPI's own title in the current catalogue.

Titles carry the coding in parentheses: "(Ja=1, Nej=0)", "(Ja=1, Nej=2)", "(Breddinfört=2,
testverksamhet=1, Nej=0)", U35537 "(Inom 3 dagar=3, 4-7 dagar=2, 8-14 dagar=1, mer än 15 dagar=0)"; a
coding that changed between years is written per year range ("-2017 Ja=1, Nej=0. 2018- 2=Ja, 1=Delvis
och 0=Nej"). The positive answer is the best one by its label, found on an ordered answer scale
(oj_areas.yaml `scales`), never the largest number: in "(Ja=1, Nej=2)" Ja is positive. A coding that
cannot be read, or whose labels are on no scale, is listed with the reason and not counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

# Parenthesised parts holding "<something>=<digit>": the coding, not a "(-2021)" discontinued marker.
CODING_PATTERN = re.compile(r"\(([^()]*=\s*\d[^()]*|[^()]*\d\s*=[^()]*)\)")
# A year range opening a segment: "-2017 ", "2018- ", "2015-2017 " (start, or after ". " / "; ").
YEAR_RANGE = re.compile(r"(?:^|(?<=[.;])\s*)((?:19|20)\d{2})?\s*-\s*((?:19|20)\d{2})?(?=\s|:)")
LABEL_FIRST = re.compile(r"\s*=\s*(\d+)\s*")
CODE_FIRST = re.compile(r"(\d+)\s*=\s*([^,=]+?)(?=\s*(?:,|\boch\b|/|$))")
SEPARATORS = " ,/;."

FACTOR_SCHEMA = pl.Schema(
    {
        "kpi_group_id": pl.String,
        "oj_area": pl.String,
        "kpi_id": pl.String,
        "member_title": pl.String,
        "kpi_title": pl.String,
        "year_from": pl.Int32,
        "year_to": pl.Int32,
        "coding": pl.String,
        "coding_status": pl.String,
        "reason": pl.String,
        "scale": pl.String,
        "best_label": pl.String,
        "top_code": pl.Int32,
        "positive_min_code": pl.Int32,
        "positive_basis": pl.String,
    }
)
ANSWER_SCHEMA = pl.Schema(
    {
        "kpi_id": pl.String,
        "year_from": pl.Int32,
        "year_to": pl.Int32,
        "code": pl.Int32,
        "label": pl.String,
        "label_rank": pl.Int32,
        "is_positive": pl.Boolean,
    }
)


@dataclass(frozen=True)
class Scale:
    """An ordered answer scale: `levels[0]` matches the best answers; each level is a regex on a label."""

    name: str
    levels: tuple[str, ...]
    note: str = ""

    def ranks(self, labels: list[str]) -> list[int] | None:
        """1-based level of each label (first matching level), or None when a label is on no level."""
        out = []
        for label in labels:
            hit = next((i for i, p in enumerate(self.levels) if re.fullmatch(p, label.strip(), re.I)), None)
            if hit is None:
                return None
            out.append(hit + 1)
        return out


@dataclass(frozen=True)
class Segment:
    """One coding valid from year_from to year_to (None = open): (label, code) pairs, or why unreadable."""

    year_from: int | None
    year_to: int | None
    text: str
    pairs: tuple[tuple[str, int], ...] = ()
    problem: str | None = None


def split_years(coding: str) -> list[tuple[int | None, int | None, str]]:
    """(year_from, year_to, text) per year range of a coding; one open range when it names no years."""
    marks = list(YEAR_RANGE.finditer(coding))
    marks = [m for m in marks if m.group(1) or m.group(2)]
    if not marks:
        return [(None, None, coding.strip())]
    parts = []
    for n, mark in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(coding)
        low, high = (int(g) if g else None for g in mark.groups())
        parts.append((low, high, coding[mark.end() : end].strip(" :.;")))
    return parts


def read_pairs(text: str) -> tuple[tuple[tuple[str, int], ...], str | None]:
    """(label, code) pairs of "Ja=1, Nej=0" or "2=Ja, 1=Delvis och 0=Nej"; else ((), the problem)."""
    if re.match(r"\s*\d+\s*=", text):
        pairs = tuple((label.strip(), int(code)) for code, label in CODE_FIRST.findall(text))
    else:
        found, start = [], 0
        for match in LABEL_FIRST.finditer(text):
            label = text[start : match.start()].strip(SEPARATORS)
            label = re.sub(r"^och\s+", "", label, flags=re.I)
            found.append((label, int(match.group(1))))
            start = match.end()
        if text[start:].strip(SEPARATORS):
            return (), f"text after the last code: {text[start:].strip()!r}"
        pairs = tuple(found)
    if len(pairs) < 2:
        return (), f"fewer than two answers in {text!r}"
    bad = [label for label, _ in pairs if not label or "=" in label]
    if bad:
        return (), f"an answer label cannot be read in {text!r}"
    if len({code for _, code in pairs}) < len(pairs):
        return (), f"two answers share a code in {text!r}"
    return pairs, None


def read_segments(title: str | None) -> list[Segment]:
    """The coding segments of a KPI title; [] when the title has no coding at all."""
    codings = CODING_PATTERN.findall(title or "")
    if not codings:
        return []
    coding = codings[0].strip()
    out = []
    for low, high, text in split_years(coding):
        pairs, problem = read_pairs(text)
        out.append(Segment(low, high, text, pairs, problem))
    return out


def _best(pairs: tuple[tuple[str, int], ...], scales: list[Scale]) -> tuple[Scale, list[int]] | str:
    """The first scale that ranks every label with a single best answer, else the reason none does."""
    labels = [label for label, _ in pairs]
    for scale in scales:
        ranks = scale.ranks(labels)
        if ranks is not None and ranks.count(min(ranks)) == 1:
            return scale, ranks
        if ranks is not None:
            return f"two answers rank best on scale {scale.name!r}: {', '.join(labels)}"
    return f"answer labels on no known scale (oj_areas.yaml scales): {', '.join(labels)}"


def _factor_rows(member: dict, scales: list[Scale], configured: int | None) -> tuple[list[dict], list[dict]]:
    """(factor rows, answer rows) of one ÖJ group member."""
    base = {k: member[k] for k in ("kpi_group_id", "oj_area", "kpi_id", "member_title", "kpi_title")}
    empty = dict.fromkeys(("year_from", "year_to", "coding", "scale", "best_label", "top_code")) | {
        "positive_min_code": None,
        "positive_basis": None,
    }
    if member["kpi_title"] is None:
        reason = "not in the current KPI catalogue (core.kpi): no title to read a coding from"
        return [base | empty | {"coding_status": "not in catalogue", "reason": reason}], []
    segments = read_segments(member["kpi_title"])
    if not segments:
        reason = "the title carries no answer coding: not a factor (e.g. a share or a count)"
        return [base | empty | {"coding_status": "no coding", "reason": reason}], []
    factors, answers = [], []
    for seg in segments:
        row = base | empty | {"year_from": seg.year_from, "year_to": seg.year_to, "coding": seg.text}
        best = seg.problem or _best(seg.pairs, scales)
        if isinstance(best, str):
            factors.append(row | {"coding_status": "unreadable", "reason": best})
            continue
        scale, ranks = best
        codes = [code for _, code in seg.pairs]
        cut, basis = min(ranks), "best label"
        if configured is not None and configured in codes:
            cut, basis = ranks[codes.index(configured)], "configured"
        positive = [code for code, rank in zip(codes, ranks, strict=True) if rank <= cut]
        factors.append(
            row
            | {
                "coding_status": "parsed",
                "reason": None,
                "scale": scale.name,
                "best_label": seg.pairs[ranks.index(min(ranks))][0],
                "top_code": max(codes),
                "positive_min_code": min(positive),
                "positive_basis": basis,
            }
        )
        answers += [
            {
                "kpi_id": member["kpi_id"],
                "year_from": seg.year_from,
                "year_to": seg.year_to,
                "code": code,
                "label": label,
                "label_rank": rank,
                "is_positive": rank <= cut,
            }
            for (label, code), rank in zip(seg.pairs, ranks, strict=True)
        ]
    return factors, answers


def parse_codings(
    members: pl.DataFrame, scales: list[Scale], positive_min_code: dict[str, int] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(core.ref_oj_factor, core.ref_oj_answer) frames from ÖJ group members.

    `members` has kpi_group_id, oj_area, kpi_id, member_title and kpi_title (the KPI's title in the
    current catalogue, NULL when it is not there). `positive_min_code` names, per KPI, the code of the
    worst answer still counted positive; every answer ranked at least as well counts too.
    """
    configured = positive_min_code or {}
    factors: list[dict] = []
    answers: dict[tuple, dict] = {}
    # a few hundred group members: the per-title parsing reads better as Python than as expressions
    for member in members.iter_rows(named=True):
        rows, coded = _factor_rows(member, scales, configured.get(member["kpi_id"]))
        factors += rows
        # a KPI in two ÖJ groups has one coding
        answers.update({(a["kpi_id"], a["year_from"], a["code"]): a for a in coded})
    factor_frame = pl.DataFrame(factors, schema=FACTOR_SCHEMA, orient="row")
    answer_frame = pl.DataFrame(list(answers.values()), schema=ANSWER_SCHEMA, orient="row")
    return (
        factor_frame.sort("kpi_group_id", "kpi_id", "year_from", nulls_last=False),
        answer_frame.sort("kpi_id", "year_from", "code", nulls_last=False),
    )
