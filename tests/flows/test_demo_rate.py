"""The demo fetches its local replay faster than Kolada's own rate; a rate the user set still wins."""

from __future__ import annotations

import pytest

from flows.demo import DEMO_REPLAY_RATE, replay_rate
from flows.kolada_flows import _request
from sources.kolada.settings import KoladaSettings


def test_a_flow_rate_overrides_the_environment_and_none_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAMFOR_KOLADA_RATE", "2.5")
    common = ("yearly", "demo", None, None, "http://127.0.0.1:9/v3", None, None, None)
    assert _request(*common, 40.0).settings.rate == 40.0
    assert _request(*common, None).settings.rate == 2.5
    monkeypatch.delenv("JAMFOR_KOLADA_RATE")
    assert _request(*common, None).settings.rate == KoladaSettings().rate


def test_the_demo_rate_yields_to_the_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAMFOR_KOLADA_RATE", raising=False)
    assert replay_rate() == (DEMO_REPLAY_RATE, f"{DEMO_REPLAY_RATE:g}")
    assert KoladaSettings().rate < DEMO_REPLAY_RATE
    monkeypatch.setenv("JAMFOR_KOLADA_RATE", "3")
    assert replay_rate() == (None, "3")
