"""Input text given on the command line: literal, `@FILE` (read the file) or `-` (stdin)."""

from __future__ import annotations

import sys
from pathlib import Path

from agentkit.errors import ConfigError


def read_input(value: str, option: str = "--input") -> str:
    """The text `value` stands for: `-` reads stdin, `@PATH` reads a UTF-8 file (both without
    the trailing line breaks, as the shell's `$(cat FILE)`), `@@text` is the literal
    `@text`, anything else is the text itself."""
    if value == "-":
        return _stdin(option)
    if value.startswith("@@"):
        return value[1:]
    if value.startswith("@"):
        return _file(value[1:], option)
    return value


def _stdin(option: str) -> str:
    if sys.stdin is None or sys.stdin.isatty():
        raise ConfigError(f"{option} - reads the text from stdin, but stdin is a terminal; "
                          f"pipe it in (`cat question.txt | agentkit ... {option} -`) or use {option} @FILE")
    try:
        text = sys.stdin.read()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{option} -: stdin is not UTF-8 text ({exc}); convert it, e.g. with iconv") from None
    if not text.strip():
        raise ConfigError(f"{option} -: stdin was empty; pipe the text in, or give it as {option} TEXT")
    return text.rstrip("\r\n")


def _file(name: str, option: str) -> str:
    literal = f"to send text that starts with '@', double it: {option} '@@...'"
    if not name:
        raise ConfigError(f"{option} @: no file name after '@'; give {option} @FILE, or {literal}")
    path = Path(name).expanduser()
    if not path.exists():
        raise ConfigError(f"{option} @{name}: no such file; give an existing file, or {literal}")
    if not path.is_file():
        raise ConfigError(f"{option} @{name}: not a file; give a text file, or {literal}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{option} @{name}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                          "convert it, e.g. with iconv, or give a text file") from None
    except OSError as exc:
        raise ConfigError(f"{option} @{name}: cannot be read ({exc.strerror})") from None
    if not text.strip():
        raise ConfigError(f"{option} @{name}: the file is empty; write the text into it")
    return text.rstrip("\r\n")
