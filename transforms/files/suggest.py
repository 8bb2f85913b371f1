"""'Did you mean': the known region names closest to a name that matches none (difflib, no I/O).

Names are compared casefolded and without diacritics, so `Atvidaberg` meets `Åtvidaberg` and
`Upplands Vasby` meets `Upplands Väsby`; a trailing "kommun" or "stad" is dropped from the unknown name,
since the list's own long forms ("Malmö kommun") are not always what a file writes ("Malmo stad").
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence

import polars as pl

# difflib's similarity ratio a name needs to be suggested; lower, and the guesses are mostly wrong
CUTOFF = 0.8
MAX_SUGGESTIONS = 3
DROPPED_SUFFIXES = ("kommun", "stad")


def fold(name: str) -> str:
    """Casefolded, diacritics removed, whitespace and dashes as single spaces."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").split())


def _query(name: str) -> str:
    words = fold(name).split()
    if len(words) > 1 and words[-1] in DROPPED_SUFFIXES:
        words = words[:-1]
    return " ".join(words)


def closest_names(
    unknown: Iterable[str], reference: pl.DataFrame, kinds: Sequence[str]
) -> dict[str, list[str]]:
    """For each unknown name, up to MAX_SUGGESTIONS names of other regions of `kinds` (best first).

    One name per region (the closest of its names). When some name is the unknown one but for case
    and diacritics, only such names are suggested: they are what was meant.
    """
    candidates: dict[str, list[tuple[str, str]]] = {}
    for region, name in (
        reference.filter(pl.col("kind").is_in(list(kinds))).select("municipality_id", "name").iter_rows()
    ):
        candidates.setdefault(fold(name), []).append((region, name))
    out: dict[str, list[str]] = {}
    for name in unknown:
        query = _query(name)
        matches = difflib.get_close_matches(query, list(candidates), n=len(candidates), cutoff=CUTOFF)
        if query in candidates:
            matches = [query]
        seen: set[str] = set()
        names: list[str] = []
        for match in matches:
            for region, shown in candidates[match]:
                if region not in seen:
                    seen.add(region)
                    names.append(shown)
        out[name] = names[:MAX_SUGGESTIONS]
    return out


def did_you_mean(names: Sequence[str]) -> str:
    """ " (did you mean 'A' or 'B'?)", or "" without names."""
    if not names:
        return ""
    quoted = [f"'{n}'" for n in names]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f" (did you mean {listed}?)"
