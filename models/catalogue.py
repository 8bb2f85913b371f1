"""The model catalogue: one YAML declaration per warehouse table, `models/<schema>/<table>.yml`.

Each file gives a table's kind, grain, description (its COMMENT), key, columns (type, nullability,
COMMENT, an optional `check` predicate) and optional data tests; `models/catalogue.yml` holds the facts
of the whole warehouse (schema version, layers, the SCD2 bookkeeping columns). DDL, COMMENTs, the data
dictionary, the frame contracts and the build's data tests are all derived from what is loaded here.
The files are read once per process, on first use, and validated; a bad file fails with one line naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

MODELS_DIR = Path(__file__).resolve().parent
KINDS = ("scd2", "meta", "raw", "mart", "reference")
# the DuckDB type names (as duckdb_columns() reports them) a model may use
TYPES = frozenset({"VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP WITH TIME ZONE"})
_MODEL_KEYS = {"table", "kind", "grain", "description", "key", "versioned", "columns", "tests", "frame"}
_MODEL_REQUIRED = {"table", "kind", "grain", "description", "columns"}
_COLUMN_KEYS = {"name", "type", "nullable", "comment", "check"}
_COLUMN_REQUIRED = {"name", "type", "comment"}
_TEST_KEYS = {"name", "sql", "description"}
_TEST_REQUIRED = {"name", "sql"}
_TOP_KEYS = {"schema_version", "layers", "versioned_columns"}


class CatalogueError(ValueError):
    """A model file is malformed: the message is one line naming the file."""


@dataclass(frozen=True)
class Column:
    """One column: name, DuckDB type (as duckdb_columns() reports it), COMMENT, NOT NULL, optional check."""

    name: str
    type: str
    comment: str
    not_null: bool = False
    check: str | None = None

    @property
    def nullable(self) -> bool:
        return not self.not_null


@dataclass(frozen=True)
class DataTest:
    """An extra data test: `sql` returns the offending rows (zero rows = pass)."""

    name: str
    sql: str
    description: str = ""


@dataclass(frozen=True)
class Table:
    """One model: `kind` is scd2 (versioned history), meta, raw, mart or reference; `key` is its grain."""

    schema: str
    name: str
    comment: str
    columns: tuple[Column, ...]
    kind: str
    key: tuple[str, ...] = ()
    grain: str = ""
    tests: tuple[DataTest, ...] = ()
    path: Path | None = None
    # the columns, in order, of the Polars frame a load hands over (default: the model's own columns)
    frame: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def business_columns(self) -> list[str]:
        """Columns a source frame supplies (everything except the SCD2 bookkeeping)."""
        return [c.name for c in self.columns if c.name not in _constants()["VERSION_COLUMNS"]]

    def column(self, name: str) -> Column:
        """The column called `name`; KeyError naming the table otherwise."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.qualified} has no column {name!r}; columns: {self.column_names}")


@dataclass(frozen=True)
class Catalogue:
    """Everything the model files declare."""

    schema_version: int
    layer_descriptions: dict[str, str]
    version_columns: tuple[Column, ...]
    tables: tuple[Table, ...]


def _mapping(data: Any, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CatalogueError(f"{where}: expected a mapping, got {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise CatalogueError(f"{where}: unknown keys {unknown}; allowed {sorted(allowed)}")
    missing = sorted(required - set(data))
    if missing:
        raise CatalogueError(f"{where}: missing keys {missing}")
    return data


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: expected non-empty text, got {value!r}")
    return value


def _column(data: Any, where: str) -> Column:
    fields = _mapping(data, where, _COLUMN_KEYS, _COLUMN_REQUIRED)
    name = _text(fields["name"], where)
    where = f"{where} ({name})"
    if fields["type"] not in TYPES:
        raise CatalogueError(f"{where}: unknown type {fields['type']!r}; known: {sorted(TYPES)}")
    nullable = fields.get("nullable", True)
    if not isinstance(nullable, bool):
        raise CatalogueError(f"{where}: nullable must be true or false, got {nullable!r}")
    check = fields.get("check")
    return Column(
        name,
        fields["type"],
        _text(fields["comment"], where),
        not nullable,
        None if check is None else _text(check, where),
    )


def _test(data: Any, where: str) -> DataTest:
    fields = _mapping(data, where, _TEST_KEYS, _TEST_REQUIRED)
    name = _text(fields["name"], where)
    # the runner wraps the query (SELECT count(*) FROM (<sql>)), so a closing semicolon would break it
    sql = _text(fields["sql"], f"{where} ({name})").strip().removesuffix(";")
    return DataTest(name, sql, fields.get("description", ""))


def _model(path: Path, root: Path, layers: dict[str, str], version_columns: tuple[Column, ...]) -> Table:
    where = str(path.relative_to(root.parent) if path.is_relative_to(root.parent) else path)
    data = _mapping(_read(path, where), where, _MODEL_KEYS, _MODEL_REQUIRED)
    qualified = _text(data["table"], where)
    expected = f"{path.parent.name}.{path.stem}"
    if qualified != expected:
        raise CatalogueError(f"{where}: table {qualified!r} does not match the file path ({expected!r})")
    schema, name = qualified.split(".", 1)
    if schema not in layers:
        raise CatalogueError(f"{where}: schema {schema!r} is no layer of models/catalogue.yml {list(layers)}")
    kind = data["kind"]
    if kind not in KINDS:
        raise CatalogueError(f"{where}: unknown kind {kind!r}; known: {list(KINDS)}")
    versioned = data.get("versioned", False)
    if versioned not in (True, False) or versioned != (kind == "scd2"):
        raise CatalogueError(f"{where}: `versioned: true` is required for kind scd2 and only allowed there")
    if not isinstance(data["columns"], list) or not data["columns"]:
        raise CatalogueError(f"{where}: columns must be a non-empty list")
    own = tuple(_column(c, f"{where} column {i + 1}") for i, c in enumerate(data["columns"]))
    columns = own + (version_columns if versioned else ())
    names = [c.name for c in columns]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise CatalogueError(f"{where}: columns declared twice: {doubled}")
    key = _names(data.get("key", []), names, f"{where}: key", qualified)
    frame = _names(data.get("frame", [c.name for c in own]), names, f"{where}: frame", qualified)
    tests = data.get("tests", [])
    if not isinstance(tests, list):
        raise CatalogueError(f"{where}: tests must be a list")
    parsed = tuple(_test(t, f"{where} test {i + 1}") for i, t in enumerate(tests))
    test_names = [t.name for t in parsed]
    if len(set(test_names)) != len(test_names):
        raise CatalogueError(f"{where}: test names must be unique, got {test_names}")
    return Table(
        schema,
        name,
        _text(data["description"], where),
        columns,
        kind,
        key,
        _text(data["grain"], where),
        parsed,
        path,
        frame,
    )


def _names(value: Any, names: list[str], where: str, qualified: str) -> tuple[str, ...]:
    """A list of column names of the model (its key or its frame)."""
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise CatalogueError(f"{where} must be a list of column names, got {value!r}")
    unknown = [k for k in value if k not in names]
    if unknown:
        raise CatalogueError(f"{where} columns {unknown} are not columns of {qualified}")
    return tuple(value)


def _read(path: Path, where: str) -> Any:
    try:
        return yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{where}: not valid YAML: {' '.join(str(exc).split())}") from None


@cache
def _top(root: Path) -> dict[str, Any]:
    """`root/catalogue.yml`, validated: the schema version, the layers and the SCD2 bookkeeping columns."""
    top_where = str(root / "catalogue.yml")
    top = _mapping(_read(root / "catalogue.yml", top_where), top_where, _TOP_KEYS, _TOP_KEYS)
    layers = top["layers"]
    if not isinstance(layers, dict) or not all(isinstance(v, str) for v in layers.values()):
        raise CatalogueError(f"{top_where}: layers must map each layer to its description")
    if not isinstance(top["schema_version"], int) or not isinstance(top["versioned_columns"], list):
        raise CatalogueError(f"{top_where}: schema_version must be an integer, versioned_columns a list")
    return top


@cache
def load_catalogue(root: Path = MODELS_DIR) -> Catalogue:
    """Read and validate `root/catalogue.yml` and every `root/<schema>/<table>.yml` (cached per root)."""
    top_where = str(root / "catalogue.yml")
    top = _top(root)
    layers = top["layers"]
    version_columns = tuple(
        _column(c, f"{top_where} versioned column {i + 1}") for i, c in enumerate(top["versioned_columns"])
    )
    order = list(layers)
    tables = sorted(
        (_model(path, root, layers, version_columns) for path in root.glob("*/*.yml")),
        key=lambda t: (order.index(t.schema), t.name),
    )
    return Catalogue(top["schema_version"], dict(layers), version_columns, tuple(tables))


@cache
def _constants() -> dict[str, Any]:
    """The module's constants below, from the model files of MODELS_DIR."""
    catalogue = load_catalogue()
    return {
        "LAYERS": tuple(catalogue.layer_descriptions),
        "LAYER_DESCRIPTIONS": catalogue.layer_descriptions,
        "VERSION_COLUMNS": tuple(c.name for c in catalogue.version_columns),
        "TABLES": catalogue.tables,
        "TABLES_BY_NAME": {t.qualified: t for t in catalogue.tables},
    }


if TYPE_CHECKING:
    SCHEMA_VERSION: int
    LAYERS: tuple[str, ...]
    LAYER_DESCRIPTIONS: dict[str, str]
    VERSION_COLUMNS: tuple[str, ...]
    TABLES: tuple[Table, ...]
    TABLES_BY_NAME: dict[str, Table]


def __getattr__(name: str) -> Any:
    """SCHEMA_VERSION, LAYERS, TABLES, ...: read on first use, so that a read command that needs only the
    schema version (`jamfor compare`) parses catalogue.yml and none of the ~40 table files."""
    if name == "SCHEMA_VERSION":
        return _top(MODELS_DIR)["schema_version"]
    if name in ("LAYERS", "LAYER_DESCRIPTIONS", "VERSION_COLUMNS", "TABLES", "TABLES_BY_NAME"):
        return _constants()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def table(qualified: str) -> Table:
    """Return the model of `schema.table`; raise KeyError naming the known tables otherwise."""
    by_name = _constants()["TABLES_BY_NAME"]
    try:
        return by_name[qualified]
    except KeyError:
        raise KeyError(f"unknown warehouse table {qualified!r}; known: {sorted(by_name)}") from None
