"""Each benchmark runs end to end at a tiny size, so a broken code path is caught (timings are not)."""

from __future__ import annotations

import pytest

from bench import comparison_diff, dlt_peer, fetch_rate, load, marts, monthly


@pytest.mark.parametrize(
    ("module", "argv", "expected"),
    [
        (load, ["--values", "20000"], "ratio pipeline / ceiling"),
        (monthly, ["--sizes", "9000,18000"], ("ratio largest / smallest", "1 KPIs changed: ")),
        (fetch_rate, ["--rate", "50", "--latency", "0.01", "--requests", "30"], "of the limit"),
        (marts, ["--values", "20000", "--repeats", "3"], "comparison query"),
        (dlt_peer, ["--values", "20000", "--dict-values", "3000"], "ratios jamfor / dlt"),
        (comparison_diff, ["--values", "20000", "--against", "HEAD"], "EXCEPT ALL both ways empty: True"),
    ],
    ids=["load", "monthly", "fetch_rate", "marts", "dlt_peer", "comparison_diff"],
)
def test_benchmark_runs(
    module, argv: list[str], expected: str | tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert module.main(argv) == 0
    out = capsys.readouterr().out
    for text in (expected,) if isinstance(expected, str) else expected:
        assert text in out
