"""Ordered matching rules over KPI metadata: the first rule whose conditions all hold decides.

Used for the direction of a KPI and for the Liknande kommuner area it maps to, so both are
configured the same way in pipeline/reference/*.yaml and each decision names the rule that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

# Metadata columns a rule may test: exact (case-insensitive) equality, or a regular expression that must
# match (patterns) or must not match (excludes).
EQUALS_COLUMNS = ("operating_area", "perspective")
PATTERN_COLUMNS = ("title", "description")


class RuleError(ValueError):
    """A rule that cannot be applied; the message names the rule and what is wrong."""


@dataclass(frozen=True)
class Rule:
    """A named rule: `result` applies where all its conditions hold.

    Every `equals` column must match exactly (case-insensitive), every `patterns` regex must match and
    no `excludes` regex may match.
    """

    name: str
    result: str
    equals: dict[str, str] = field(default_factory=dict)
    patterns: dict[str, str] = field(default_factory=dict)
    excludes: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def __post_init__(self) -> None:
        bad = sorted(set(self.equals) - set(EQUALS_COLUMNS)) + sorted(
            set(self.patterns) - set(PATTERN_COLUMNS) | set(self.excludes) - set(PATTERN_COLUMNS)
        )
        if bad:
            raise RuleError(f"rule {self.name!r}: cannot test {bad}")
        for column, pattern in {**self.patterns, **self.excludes}.items():
            try:
                pl.Series([""]).str.contains(pattern)
            except pl.exceptions.ComputeError as exc:
                raise RuleError(f"rule {self.name!r}: bad {column} pattern {pattern!r}: {exc}") from None

    def condition(self) -> pl.Expr:
        """True where the rule matches (NULL metadata never matches)."""
        tests = [pl.col(c).str.to_lowercase() == value.lower() for c, value in self.equals.items()]
        tests += [pl.col(c).str.contains(_flagged(p)) for c, p in self.patterns.items()]
        tests += [~pl.col(c).str.contains(_flagged(p)).fill_null(False) for c, p in self.excludes.items()]
        return pl.all_horizontal(tests).fill_null(False) if tests else pl.lit(True)


def _flagged(pattern: str) -> str:
    """Case-insensitive unless the pattern sets its own flags: Kolada titles mix "LSS" and "lss"."""
    return pattern if pattern.startswith("(?") else f"(?i){pattern}"


def first_match(rules: list[Rule], default: str | None, default_name: str | None) -> tuple[pl.Expr, pl.Expr]:
    """(result, rule name) expressions: the first matching rule, else the defaults."""
    result: pl.Expr = pl.lit(default, pl.String)
    name: pl.Expr = pl.lit(default_name, pl.String)
    # Built from the last rule to the first so the first matching rule ends up outermost and wins.
    for rule in reversed(rules):
        hit = rule.condition()
        result = pl.when(hit).then(pl.lit(rule.result)).otherwise(result)
        name = pl.when(hit).then(pl.lit(rule.name)).otherwise(name)
    return result, name
