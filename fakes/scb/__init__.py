"""Local SCB PxWeb API (v2 and v1) serving SCB's real fixture answers, on fakes.http.LocalServer."""

from __future__ import annotations

from fakes.scb.pxweb import V1_TABLE, PxWebReplay, fixture_json, ordered_codes, pxweb_server

__all__ = ["V1_TABLE", "PxWebReplay", "fixture_json", "ordered_codes", "pxweb_server"]
