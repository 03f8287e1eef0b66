"""Load the content file: YAML → defaults merged in → validated `Content`, or every problem.

Problems carry the file and line they come from. Texts, `shop` and `default_reply` the file
leaves out are taken from `assets/templates/defaults.vi.yaml`, so a file written for an
older release keeps working when a release adds a new message.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.content.crossref import cross_problems, image_problems
from bot.content.errors import ContentError, Loc, Problem, format_loc
from bot.content.hints import annotation_at, explain
from bot.content.schema import Content
from bot.content.yamlmap import ParsedYaml, line_of, parse_yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS_PATH = ROOT / "assets" / "templates" / "defaults.vi.yaml"
DEFAULTED_SECTIONS = ("shop", "default_reply", "texts")


def display_path(path: Path) -> str:
    """The path as the admin would type it: as given, or relative when under the working
    folder."""
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_content(path: Path | str) -> Content:
    """Read and validate the content file; raises `ContentError` listing every problem."""
    path = Path(path)
    shown = display_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ContentError(
            [Problem(shown, 1, "(file)", "file not found", "create it or pass the right path")]
        ) from None
    except OSError as exc:
        raise ContentError(
            [Problem(shown, 1, "(file)", f"cannot read it ({exc.strerror})", "check the path")]
        ) from None
    return parse_content(raw, path)


def parse_content(raw: bytes, path: Path) -> Content:
    """Validate `raw` as if it were the file at `path` (images are looked up next to it)."""
    shown = display_path(path)
    parsed = _parse(raw, shown)
    defaults = _defaults()
    if not isinstance(parsed.data, dict):
        what = "empty" if parsed.data is None else "not a list of sections"
        raise ContentError(
            [
                Problem(
                    shown,
                    1,
                    "(file)",
                    f"the file is {what}",
                    "start from the demo file config/content.yaml (greetings:, menu:, …)",
                )
            ]
        )
    data = _merge(defaults.data if isinstance(defaults.data, dict) else {}, parsed.data)
    base = path.resolve().parent
    base_dirs = (base, base.parent)

    issues: list[tuple[Loc, str, str]] = []
    content: Content | None = None
    try:
        content = Content.model_validate(data)
    except ValidationError as exc:
        issues.extend(explain(Content, err, data) for err in exc.errors())
    issues.extend(cross_problems(data))
    issues.extend(image_problems(data, base_dirs))
    for loc, written in parsed.dotted_numbers.items():
        if annotation_at(Content, loc) in (int, float):
            issues.append(
                (
                    loc,
                    f"{written} is read as {float(written):g}",
                    f"write {written.replace('.', '')}",
                )
            )
    problems = [_locate(loc, msg, fix, parsed, shown, defaults) for loc, msg, fix in issues]
    for loc, line, first in parsed.duplicate_keys:
        problems.append(
            Problem(
                shown,
                line,
                format_loc(loc),
                f"written twice (also on line {first})",
                "keep only one; YAML uses the last one",
            )
        )
    if problems or content is None:
        raise ContentError(_dedupe(problems))
    content._path = path
    content._digest = hashlib.sha256(raw).hexdigest()
    content._base_dirs = base_dirs
    return content


def _parse(raw: bytes, shown: str) -> ParsedYaml:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(
            [Problem(shown, line, "(file)", "is not UTF-8 text", "save the file as UTF-8")]
        ) from None
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ContentError([_yaml_problem(exc, shown)]) from None


def _yaml_problem(exc: yaml.YAMLError, shown: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else 1
    what = getattr(exc, "problem", None) or str(exc)
    fix = "check the indentation and quotes on this line and the one above"
    if "\t" in what or "\\t" in what or "tab" in what:
        fix = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in what:
        fix = 'put text that contains ": " in quotes'
    elif "could not find expected ':'" in what:
        fix = "write key: value, and indent the lines under a key by the same amount"
    elif "expected ',' or '}'" in what or "expected ',' or ']'" in what:
        fix = "close the { } or [ ] opened on this line or the one above"
    elif "expected <block end>" in what:
        fix = "line the keys of one section up at the same indentation"
    elif "found unexpected end of stream" in what or "found unexpected end" in what:
        fix = "close the quote or bracket opened above"
    return Problem(shown, line, "yaml", f"syntax error: {what}", fix)


def _defaults() -> ParsedYaml:
    if not DEFAULTS_PATH.is_file():
        return ParsedYaml(data={})
    return _parse(DEFAULTS_PATH.read_bytes(), display_path(DEFAULTS_PATH))


def _merge(defaults: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    merged = dict(data)
    for key in DEFAULTED_SECTIONS:
        fallback = defaults.get(key)
        if not isinstance(fallback, dict):
            continue
        if key not in merged or merged[key] is None:
            merged[key] = dict(fallback)
        elif isinstance(merged[key], dict):
            merged[key] = {**fallback, **merged[key]}
    return merged


def _locate(
    loc: Loc, message: str, fix: str, parsed: ParsedYaml, shown: str, defaults: ParsedYaml
) -> Problem:
    """Point at the content file's line, or the defaults file's when the value came from it."""
    found, line = line_of(parsed.lines, loc)
    if len(found) < len(loc) and loc and loc[0] in DEFAULTED_SECTIONS:
        in_defaults, d_line = line_of(defaults.lines, loc)
        if len(in_defaults) > len(found):
            return Problem(display_path(DEFAULTS_PATH), d_line, format_loc(loc), message, fix)
    return Problem(shown, line, format_loc(loc), message, fix)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str, str]] = set()
    out: list[Problem] = []
    for p in sorted(problems, key=lambda p: (p.file, p.line)):
        if (p.file, p.key, p.message) not in seen:
            seen.add((p.file, p.key, p.message))
            out.append(p)
    return out
