"""jamfor sources.socialstyrelsen: readers for saved result tables, CSV exports and API rows."""

from __future__ import annotations

from .api_rows import api_rows_frame, is_api_rows
from .csv_export import has_footer, parse_export
from .html_table import parse_result_page

__all__ = ["api_rows_frame", "has_footer", "is_api_rows", "parse_export", "parse_result_page"]
