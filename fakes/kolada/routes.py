"""The /v3 routes of the replay server: URL → (status, JSON body), with the real API's rules.

Deliberate deviations from the live API, documented here:
- group ids (G...) answer only when requested by id in the municipality segment; the live API may
  also list groups in /data/kpi/{K}/year/{Y};
- /oudata answers an empty list for every valid request (the fixtures hold no OU values);
- unknown query parameters are ignored; the query-parameter data form (/v3/data?kpi=...) answers
  an empty 200, like the live API's trap.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from fakes.kolada.dataset import ReplayDataset
from fakes.kolada.query import DataQuery, Selection, data_items, empty_items, meta_items
from sources.kolada.settings import API_MAX_IDS as MAX_IDS
from sources.kolada.settings import API_MAX_PER_PAGE as MAX_PER_PAGE

BASE_PATH = "/v3"
JSON_TYPE = "application/json; charset=utf-8"
# a request without per_page gets the largest page the API allows
DEFAULT_PER_PAGE = MAX_PER_PAGE
ENTITIES = ("kpi", "kpi_groups", "municipality", "municipality_groups", "ou")
# Path forms per data endpoint: the unit segment's name, then every 2+ subsequence of kpi/unit/year.
DATA_UNITS = {"data": "municipality", "oudata": "ou"}
ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")
YEAR_PATTERN = re.compile(r"^\d{4}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Reply:
    """A response ready to send."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = field(default=())


class ApiError(Exception):
    """A request the API refuses; becomes {"detail": ...} with `status`."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def json_reply(status: int, payload: object) -> Reply:
    """Serialise `payload` as UTF-8 JSON (non-ASCII kept as is)."""
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def handle_api(
    dataset: ReplayDataset, dataset_name: str, target: str, origin: str, page_size: int = MAX_PER_PAGE
) -> Reply:
    """Answer GET `target` (path with query, as sent); `origin` is "http://host:port" for paging links.

    A page holds at most `page_size` items whatever `per_page` asks: the page size is the server's
    choice, so a client must follow `next_url` (which keeps the `per_page` it sent).
    """
    split = urlsplit(target)
    params = dict(parse_qsl(split.query, keep_blank_values=True))
    try:
        selection = _select(dataset, dataset_name, split.path, params)
        if selection is None:
            return _envelope([], origin, split.path, params, page=1, per_page=None, has_next=False)
        page, per_page = _paging(params)
        size = min(per_page, page_size)
        offset = (page - 1) * size
        items = selection.page(offset, size)
        has_next = offset + size < selection.total
        return _envelope(items, origin, split.path, params, page, per_page, has_next)
    except ApiError as err:
        return json_reply(err.status, {"detail": err.detail})


def _select(dataset: ReplayDataset, name: str, path: str, params: dict[str, str]) -> Selection | None:
    """The matching items; None for the query-parameter data form (always empty)."""
    segments = [unquote(s) for s in path.rstrip("/").split("/")]
    if len(segments) < 3 or segments[0] != "" or f"/{segments[1]}" != BASE_PATH:
        raise ApiError(404, "Not Found")
    endpoint, rest = segments[2], segments[3:]
    if endpoint in ENTITIES and len(rest) <= 1:
        return meta_items(
            dataset,
            endpoint,
            ids=_ids(rest[0], "id") if rest else None,
            title=params.get("title"),
            municipality=_ids(params["municipality"], "municipality")
            if endpoint == "ou" and "municipality" in params
            else None,
            unit_type=params.get("type") if endpoint == "municipality" else None,
        )
    if endpoint in DATA_UNITS:
        if not rest:
            return None
        query = _data_query(rest, DATA_UNITS[endpoint], params.get("from_date"))
        return data_items(dataset, name, query) if endpoint == "data" else empty_items()
    raise ApiError(404, "Not Found")


def _data_query(rest: list[str], unit: str, from_date: str | None) -> DataQuery:
    order = ["kpi", unit, "year"]
    names = rest[0::2]
    if len(rest) % 2 or len(names) < 2 or [n for n in order if n in names] != names:
        raise ApiError(404, "Not Found")
    given = dict(zip(names, rest[1::2], strict=True))
    years = _ids(given["year"], "year") if "year" in given else None
    return DataQuery(
        kpis=_ids(given["kpi"], "kpi") if "kpi" in given else None,
        units=_ids(given[unit], unit) if unit in given else None,
        periods=[int(y) for y in years] if years is not None else None,
        from_date=_parse_date(from_date) if from_date is not None else None,
    )


def _ids(segment: str, name: str) -> list[str]:
    """A comma list of ids, checked against the v3 rules (at most MAX_IDS, well-formed)."""
    ids = segment.split(",")
    if len(ids) > MAX_IDS:
        raise ApiError(422, f"too many ids in {name}: {len(ids)} (max {MAX_IDS})")
    pattern = YEAR_PATTERN if name == "year" else ID_PATTERN
    bad = [i for i in ids if not pattern.match(i)]
    if bad:
        raise ApiError(400, f"malformed {name} id(s): {bad}")
    return ids


def _parse_date(text: str) -> date:
    try:
        if not DATE_PATTERN.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as err:
        raise ApiError(400, f"from_date must be YYYY-MM-DD, got {text!r}") from err


def _paging(params: dict[str, str]) -> tuple[int, int]:
    page = _int_param(params, "page", 1)
    per_page = _int_param(params, "per_page", DEFAULT_PER_PAGE)
    if page < 1:
        raise ApiError(422, f"page must be >= 1, got {page}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ApiError(422, f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
    return page, per_page


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError as err:
        raise ApiError(422, f"{name} must be an integer, got {text!r}") from err


def _envelope(
    items: list[str],
    origin: str,
    path: str,
    params: dict[str, str],
    page: int,
    per_page: int | None,
    has_next: bool,
) -> Reply:
    """The v3 page: values, count (items on this page), absolute next_url / previous_url."""

    def link(to_page: int) -> str:
        query = {**params, "page": str(to_page), "per_page": str(per_page or DEFAULT_PER_PAGE)}
        return f"{origin}{path}?{urlencode(query)}"

    next_url = link(page + 1) if has_next else None
    previous_url = link(page - 1) if page > 1 else None
    body = (
        '{"values": [' + ", ".join(items) + f'], "count": {len(items)}, '
        f'"next_url": {json.dumps(next_url)}, "previous_url": {json.dumps(previous_url)}}}'
    )
    return Reply(200, body.encode("utf-8"))
