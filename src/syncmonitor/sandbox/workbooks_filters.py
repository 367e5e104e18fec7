"""Workbooks list filters: `_ff[]`/`_ft[]`/`_fc[]` parallel arrays, `_filter_json`, and `_fm`.

Each condition is (field, operator, value). `_fm` combines them: `and` (the default), `or`, or an
expression over 1-based condition numbers such as `1 AND (2 OR NOT 3)`. Text compares ignore case
(Workbooks sits on a case-insensitive database collation).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any, TypeAlias

import orjson

from syncmonitor.sandbox.workbooks_fields import BOOL, DATETIME, INT, Field, parse_value
from syncmonitor.sandbox.workbooks_index import CROSS_RECORD_FIELDS, AllOf, AnyOf, Cover, Lookup
from syncmonitor.sandbox.world import World

Test = Callable[[Any], bool]
Node: TypeAlias = "int | tuple[str, tuple[Node, ...]]"
_COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
_TEXT_MATCHES = ("ct", "nct", "bg", "nbg")
_UNARY = ("blank", "not_blank", "true", "false")
OPERATORS = frozenset((*_COMPARISONS, *_TEXT_MATCHES, *_UNARY))
_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_TOKEN = re.compile(r"\s*(\d+|AND\b|OR\b|NOT\b|&&|\|\||!|\(|\))", re.IGNORECASE)


_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


def eq_values(raw: str) -> list[str]:
    """The values of an `eq` criterion: comma-separated is an IN list, and `\\,` is a comma
    inside a value (the guide's "Filtering": "you must escape a comma by prefixing it with a
    backslash")."""
    return [part.replace("\\,", ",") for part in _UNESCAPED_COMMA.split(raw)]


class FilterError(ValueError):
    """A filter Workbooks would refuse; answered with `success: false`."""


def conditions_from(pairs: list[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
    """The (field, operator, value) triples a request carries, in order."""
    fields = [v for k, v in pairs if k == "_ff[]"]
    operators = [v for k, v in pairs if k == "_ft[]"]
    values = [v for k, v in pairs if k == "_fc[]"]
    if len(fields) != len(operators):
        raise FilterError("_ff[] and _ft[] must come in pairs")
    # Operators that take no value (blank, true...) may be sent without a _fc[].
    values += [""] * (len(fields) - len(values))
    found: list[tuple[str, str, str | None]] = list(zip(fields, operators, values, strict=False))
    raw_json = next((v for k, v in pairs if k == "_filter_json"), None)
    if raw_json:
        try:
            parsed = orjson.loads(raw_json)
        except orjson.JSONDecodeError as error:
            raise FilterError("_filter_json is not valid JSON") from error
        if not isinstance(parsed, list) or not all(
            isinstance(c, list) and 2 <= len(c) <= 3 for c in parsed
        ):
            raise FilterError('_filter_json must look like [["field", "op", "value"], ...]')
        for condition in parsed:
            value = condition[2] if len(condition) == 3 else None
            found.append(
                (str(condition[0]), str(condition[1]), None if value is None else str(value))
            )
    return found


def compile_filter(
    world: World,
    fields: dict[str, Field],
    conditions: list[tuple[str, str, str | None]],
    mode: str | None,
) -> Test | None:
    """One test for a record, or None when there are no conditions."""
    if not conditions:
        return None
    tests = [_condition(world, fields, *c) for c in conditions]
    return _test_of(parse_mode(mode, len(tests)), tests)


def parse_mode(mode: str | None, count: int) -> Node:
    """`_fm` over `count` conditions as a tree: a 0-based condition number, or
    ("and" | "or" | "not", parts)."""
    text = (mode or "and").strip().lower()
    if text in ("and", "or"):
        return (text, tuple(range(count)))
    return _Expression(text, count).parse()


def cover_of(
    fields: dict[str, Field], conditions: list[tuple[str, str, str | None]], mode: str | None
) -> Cover | None:
    """Index lookups holding every record the (already compiled) filter can match, or None
    when it cannot be bounded by `eq` lookups and every record must be tried (see
    `workbooks_index`). "a eq 1 OR a eq 2" is one lookup of both values; AND needs one bounded
    part; NOT, and any other operator, bounds nothing."""
    if not conditions:
        return None
    lookups = [_lookup(fields, *c) for c in conditions]
    return _cover(parse_mode(mode, len(conditions)), lookups)


def _lookup(fields: dict[str, Field], name: str, op: str, raw: str | None) -> Lookup | None:
    field = fields.get(name)
    if field is None or op != "eq" or name in CROSS_RECORD_FIELDS:
        return None
    text = raw if raw is not None else ""
    is_text = field.kind not in (INT, BOOL, DATETIME)  # as `_condition` decides
    try:
        keys = [v.casefold() if is_text else parse_value(field.kind, v) for v in eq_values(text)]
    except (ValueError, KeyError):
        return None
    return Lookup(name, field.read, is_text, frozenset(keys), by_id=name == "id")


def _cover(node: Node, lookups: list[Lookup | None]) -> Cover | None:
    if isinstance(node, int):
        return lookups[node]
    kind, parts = node
    if kind == "not":
        return None
    covers = [_cover(part, lookups) for part in parts]
    bounded = [c for c in covers if c is not None]
    if kind == "and":
        return None if not bounded else bounded[0] if len(bounded) == 1 else AllOf(tuple(bounded))
    if len(bounded) < len(covers):
        return None  # one unbounded alternative lets anything through
    merged: dict[str, Lookup] = {}
    others: list[Cover] = []
    for part in bounded:
        if isinstance(part, Lookup):
            seen = merged.get(part.field)
            merged[part.field] = (
                part
                if seen is None
                else Lookup(part.field, part.read, part.text, seen.keys | part.keys, part.by_id)
            )
        else:
            others.append(part)
    united = [*merged.values(), *others]
    return united[0] if len(united) == 1 else AnyOf(tuple(united))


def _test_of(node: Node, tests: list[Test]) -> Test:
    if isinstance(node, int):
        return tests[node]
    kind, parts = node
    inner = [_test_of(part, tests) for part in parts]
    if kind == "not":
        negated = inner[0]
        return lambda r: not negated(r)
    if len(inner) == 1:
        return inner[0]
    # Plain loops: all()/any() over a generator cost more than the tests on a 100,000-record scan.
    if kind == "and":

        def every(record: Any) -> bool:
            for test in inner:  # noqa: SIM110 (see above)
                if not test(record):
                    return False
            return True

        return every

    def some(record: Any) -> bool:
        for test in inner:  # noqa: SIM110 (see above)
            if test(record):
                return True
        return False

    return some


def mentions(conditions: list[tuple[str, str, str | None]], field: str) -> bool:
    return any(name == field for name, _, _ in conditions)


def _condition(world: World, fields: dict[str, Field], name: str, op: str, raw: str | None) -> Test:
    field = fields.get(name)
    if field is None:
        raise FilterError(f"cannot filter on unknown field {name!r}")
    if op not in OPERATORS:
        raise FilterError(f"unknown filter operator {op!r}")
    read = field.read
    if op in ("blank", "not_blank"):
        want_blank = op == "blank"
        return lambda r: (read(world, r) in (None, "")) == want_blank
    if op in ("true", "false"):
        want = op == "true"
        return lambda r: bool(read(world, r)) == want
    text = raw if raw is not None else ""
    if op == "eq" and "," in text:
        tests = [_literal_eq(world, read, field.kind, v, name) for v in eq_values(text)]
        return tests[0] if len(tests) == 1 else (lambda r: any(t(r) for t in tests))
    if op in ("ct", "nct", "bg", "nbg") or field.kind not in (INT, BOOL, DATETIME):
        return _text_test(world, read, op, text)
    try:
        target = parse_value(field.kind, text)
    except (ValueError, KeyError) as error:
        raise FilterError(f"{text!r} is not a valid value for {name}") from error
    compare = _ORDERING[op]
    if op == "ne":
        return lambda r: read(world, r) != target
    return lambda r: (value := read(world, r)) is not None and compare(value, target)


def _literal_eq(world: World, read: Any, kind: Any, text: str, name: str) -> Test:
    """`eq` one value that holds a comma (sent escaped)."""
    if kind not in (INT, BOOL, DATETIME):
        wanted = text.casefold()
        return lambda r: (v := read(world, r)) is not None and str(v).casefold() == wanted
    try:
        target = parse_value(kind, text)
    except (ValueError, KeyError) as error:
        raise FilterError(f"{text!r} is not a valid value for {name}") from error
    return lambda r: read(world, r) == target


def _text_test(world: World, read: Callable[[World, Any], Any], op: str, text: str) -> Test:
    wanted = text.casefold()

    def value_of(record: Any) -> str | None:
        value = read(world, record)
        return None if value is None else str(value).casefold()

    if op == "ct":
        return lambda r: (v := value_of(r)) is not None and wanted in v
    if op == "nct":
        return lambda r: (v := value_of(r)) is None or wanted not in v
    if op == "bg":
        return lambda r: (v := value_of(r)) is not None and v.startswith(wanted)
    if op == "nbg":
        return lambda r: (v := value_of(r)) is None or not v.startswith(wanted)
    if op == "ne":
        return lambda r: value_of(r) != wanted
    compare = _ORDERING[op]
    return lambda r: (v := value_of(r)) is not None and compare(v, wanted)


class _Expression:
    """`_fm` as a boolean expression over condition numbers, parsed by recursive descent."""

    def __init__(self, text: str, count: int) -> None:
        self.count = count
        self.tokens = self._tokenise(text)
        self.position = 0

    @staticmethod
    def _tokenise(text: str) -> list[str]:
        tokens: list[str] = []
        position = 0
        while position < len(text):
            if text[position:].strip() == "":
                break
            match = _TOKEN.match(text, position)
            if match is None:
                raise FilterError(f"cannot read _fm {text!r} at {text[position:]!r}")
            token = match.group(1).upper()
            tokens.append({"&&": "AND", "||": "OR", "!": "NOT"}.get(token, token))
            position = match.end()
        return tokens

    def parse(self) -> Node:
        node = self._or()
        if self.position != len(self.tokens):
            raise FilterError(f"unexpected {self.tokens[self.position]!r} in _fm")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _or(self) -> Node:
        parts = [self._and()]
        while self._peek() == "OR":
            self.position += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else ("or", tuple(parts))

    def _and(self) -> Node:
        parts = [self._not()]
        while self._peek() == "AND":
            self.position += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))

    def _not(self) -> Node:
        if self._peek() == "NOT":
            self.position += 1
            return ("not", (self._not(),))
        return self._atom()

    def _atom(self) -> Node:
        token = self._peek()
        self.position += 1
        if token == "(":
            inner = self._or()
            if self._peek() != ")":
                raise FilterError("unbalanced parentheses in _fm")
            self.position += 1
            return inner
        if token is not None and token.isdigit() and 1 <= int(token) <= self.count:
            return int(token) - 1
        raise FilterError(f"_fm refers to {token!r}, not a condition number 1..{self.count}")
