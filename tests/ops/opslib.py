"""Shared helpers for the ops tests (Python 3 standard library only).

- parse_catalogue(): the metric catalogue tables of docs/metrics.md
- metric_selectors(): metric names (and the label names they match on) used in a PromQL
  expression
- rule_items(): the rules of a Prometheus rule file, read with a small parser for the
  YAML subset the rule files use (the test cross-checks its rule count with promtool)
- heading_anchors(): GitHub-style anchors of the headings of a Markdown file
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------
# docs/metrics.md


@dataclass
class Entry:
    name: str
    type: str  # counter | gauge | histogram | recorded
    labels: frozenset
    planned: bool
    line: int


NAME_CELL = re.compile(r"^`([a-zA-Z_:][a-zA-Z0-9_:]*)`$")
LABEL_CELL = re.compile(r"`([a-zA-Z_][a-zA-Z0-9_]*)`")
TYPES = {"counter", "gauge", "histogram", "recorded"}


def parse_catalogue(path: str) -> dict[str, Entry]:
    """Every table row whose first cell is a `backticked` metric name, in a table with
    Type and Labels columns. Rows under a level-2 heading that says "not yet exported"
    are marked planned."""
    entries: dict[str, Entry] = {}
    planned = False
    header: list[str] | None = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    in_fence = False
    for no, line in enumerate(lines, 1):
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if line.startswith("## "):
            planned = "not yet exported" in line.lower()
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue  # the separator row
        m = NAME_CELL.match(cells[0])
        if not m or "type" not in header or "labels" not in header:
            continue
        if len(cells) != len(header):
            raise ValueError(f"{path}:{no}: row has {len(cells)} cells, header has {len(header)}")
        name = m.group(1)
        typ = cells[header.index("type")].lower()
        if typ not in TYPES:
            raise ValueError(f"{path}:{no}: {name}: unknown type {typ!r}")
        labels = frozenset(LABEL_CELL.findall(cells[header.index("labels")]))
        if name in entries:
            raise ValueError(f"{path}:{no}: {name} is catalogued twice (also line {entries[name].line})")
        entries[name] = Entry(name, typ, labels, planned, no)
    return entries


HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def resolve(name: str, catalogue: dict[str, Entry]) -> tuple[Entry | None, str]:
    """The catalogue entry a series name belongs to, and the suffix used ('' or a
    histogram series suffix)."""
    if name in catalogue:
        return catalogue[name], ""
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            base = catalogue.get(name[: -len(suffix)])
            if base is not None and base.type == "histogram":
                return base, suffix
    return None, ""


# Labels every scraped series carries (added by Prometheus) besides its own.
TARGET_LABELS = frozenset({"job", "instance"})

# ---------------------------------------------------------------------------
# PromQL

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<duration>\d+(?:ms|s|m|h|d|w|y)(?:\d+(?:ms|s|m|h|d|w|y))*(?![a-zA-Z0-9_:]))
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<lbrace>\{)
  | (?P<punct>==|!=|>=|<=|=~|!~|[-+*/%^=<>(),@])
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "unless", "offset", "bool", "inf", "nan", "atan2"}
_LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Aggregation operators are reserved words: `sum by (x) (...)` never names a metric.
_AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                 "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[[^\]]*\]\]")


def _matcher_labels(expr: str, i: int) -> tuple[set[str], str | None, int]:
    """Parses a {...} block starting at expr[i] == '{'. Returns its label names, the
    value of a __name__ matcher if any, and the index after the block."""
    assert expr[i] == "{"
    i += 1
    labels: set[str] = set()
    name_value = None
    while True:
        while i < len(expr) and expr[i] in " \t\n,":
            i += 1
        if i >= len(expr):
            raise ValueError(f"unterminated label matchers in: {expr}")
        if expr[i] == "}":
            return labels, name_value, i + 1
        m = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`)').match(expr, i)
        if not m:
            raise ValueError(f"cannot read label matchers at ...{expr[i:i + 30]!r}")
        if m.group(1) == "__name__":
            name_value = m.group(3)[1:-1]
        else:
            labels.add(m.group(1))
        i = m.end()


def metric_selectors(expr: str) -> list[tuple[str, frozenset]]:
    """The metric names a PromQL expression selects, each with the label names its
    matchers use. Grafana variables ($__rate_interval, ${x}) are tolerated."""
    expr = _VARIABLE.sub("1", expr)
    toks: list[tuple[str, str, int]] = []  # (kind, text, end)
    i = 0
    out: list[tuple[str, frozenset]] = []
    while i < len(expr):
        if expr[i] == "{":
            labels, name_value, end = _matcher_labels(expr, i)
            prev = toks[-1] if toks else None
            if prev and prev[0] == "metric":
                out[-1] = (out[-1][0], frozenset(labels))
            elif name_value is not None:
                out.append((name_value, frozenset(labels)))
            else:
                raise ValueError(f"selector without a metric name in: {expr}")
            toks.append(("matchers", "", end))
            i = end
            continue
        m = _TOKEN.match(expr, i)
        if not m:
            raise ValueError(f"cannot tokenise ...{expr[i:i + 30]!r}")
        kind = m.lastgroup
        text = m.group()
        i = m.end()
        if kind in ("ws", "comment", "string", "range", "duration", "number"):
            if kind in ("duration", "number", "string"):
                toks.append((kind, text, i))
            continue
        if kind == "ident":
            low = text.lower()
            nxt = re.compile(r"\s*(\(|\{)?").match(expr, i)
            follows_paren = nxt is not None and nxt.group(1) == "("
            if low in _LABEL_LIST_KEYWORDS:
                toks.append(("keyword", low, i))
                if follows_paren:  # skip the label list
                    close = expr.index(")", i)
                    toks.append(("labels", expr[i:close + 1], close + 1))
                    i = close + 1
                continue
            if low in _KEYWORDS:
                toks.append(("keyword", low, i))
                continue
            if follows_paren or low in _AGGREGATIONS:
                toks.append(("function", text, i))
                continue
            toks.append(("metric", text, i))
            out.append((text, frozenset()))
            continue
        toks.append((kind, text, i))
    return out


# ---------------------------------------------------------------------------
# Prometheus rule files (the YAML subset they use)


@dataclass
class Rule:
    kind: str  # alert | record
    name: str
    line: int
    expr: str = ""
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    keys: list = field(default_factory=list)


def _indent(s: str) -> int:
    return len(s) - len(s.lstrip(" "))


def _scalar(lines: list[str], i: int, rest: str, key_indent: int, path: str) -> tuple[str, int]:
    """The value of `key: rest` at lines[i]; returns (value, next line index)."""
    rest = rest.strip()
    if rest in ("|", "|-", "|+", ">", ">-", ">+"):
        j = i + 1
        block = []
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > key_indent):
            block.append(lines[j])
            j += 1
        while block and not block[-1].strip():
            block.pop()
        if not block:
            raise ValueError(f"{path}:{i + 1}: empty block scalar")
        ind = _indent(block[0])
        body = [b[ind:] if b.strip() else "" for b in block]
        return ("\n".join(body) if rest.startswith("|") else " ".join(x for x in body if x)), i + 1 + len(block)
    if rest[:1] in ("'", '"'):
        q = rest[0]
        if len(rest) < 2 or not rest.endswith(q):
            raise ValueError(f"{path}:{i + 1}: multi-line quoted scalars are not supported here")
        body = rest[1:-1]
        return (body.replace("''", "'") if q == "'" else body.replace('\\"', '"')), i + 1
    # plain scalar, possibly continued on more-indented lines
    parts = [rest]
    j = i + 1
    while j < len(lines) and lines[j].strip() and _indent(lines[j]) > key_indent and not lines[j].strip().startswith("#"):
        parts.append(lines[j].strip())
        j += 1
    return " ".join(parts), j


_RULE_START = re.compile(r"^(\s*)- (alert|record):\s*(\S+)\s*$")
_KEY = re.compile(r"^(\s*)([a-zA-Z_][a-zA-Z0-9_]*):(.*)$")


def rule_items(path: str) -> list[Rule]:
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    rules: list[Rule] = []
    i = 0
    while i < len(lines):
        m = _RULE_START.match(lines[i])
        if not m:
            i += 1
            continue
        item_indent = len(m.group(1)) + 2
        rule = Rule(m.group(2), m.group(3), i + 1)
        rules.append(rule)
        i += 1
        while i < len(lines):
            line = lines[i]
            if not line.strip() or line.strip().startswith("#"):
                i += 1
                continue
            if _indent(line) < item_indent:
                break
            k = _KEY.match(line)
            if not k or _indent(line) != item_indent:
                raise ValueError(f"{path}:{i + 1}: unexpected line in rule {rule.name}: {line.strip()}")
            key, rest = k.group(2), k.group(3)
            rule.keys.append(key)
            if key in ("labels", "annotations") and not rest.strip():
                target = rule.labels if key == "labels" else rule.annotations
                i += 1
                while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > item_indent):
                    if not lines[i].strip() or lines[i].strip().startswith("#"):
                        i += 1
                        continue
                    kk = _KEY.match(lines[i])
                    if not kk:
                        raise ValueError(f"{path}:{i + 1}: unexpected line in {key} of {rule.name}")
                    value, i = _scalar(lines, i, kk.group(3), _indent(lines[i]), path)
                    target[kk.group(2)] = value
                continue
            value, i = _scalar(lines, i, rest, item_indent, path)
            if key == "expr":
                rule.expr = value
    return rules


# ---------------------------------------------------------------------------
# Markdown


def heading_anchors(path: str) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file (lower case, punctuation
    dropped, spaces to hyphens; repeated headings get -1, -2, ...)."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    in_fence = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                in_fence = not in_fence
                continue
            m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if in_fence or not m:
                continue
            text = re.sub(r"`", "", m.group(1)).lower()
            slug = re.sub(r"[^\w\- ]", "", text, flags=re.UNICODE).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors
