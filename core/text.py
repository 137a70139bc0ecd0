"""Names are text: what may be stored in a person's or an album's name, and how a name stored
by an older version is shown on a terminal.

A name keeps every Unicode character a person could mean — letters of any script, emoji,
combining marks, format characters such as the zero-width joiner inside emoji — and loses
what is not text: control characters (C0, DEL, C1: an ESC sequence would drive the user's
terminal, and XML 1.0 forbids most C0), the Unicode noncharacters (U+FDD0..U+FDEF and the last
two code points of every plane, U+FFFE/U+FFFF among them) and lone surrogates (halves of a
UTF-16 pair that arrive from undecodable bytes; no encoder takes them).
"""

from __future__ import annotations

import re

_NOT_TEXT = re.compile(
    "[\x00-\x1f\x7f-\x9f"            # C0, DEL, C1
    "\ud800-\udfff"                  # lone surrogates (a Python str can hold them)
    "\ufdd0-\ufdef"                  # noncharacters in the Arabic block
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}"
              for plane in range(17))  # U+xFFFE, U+xFFFF of every plane
    + "]")


def clean_text(text: str) -> str:
    """`text` without control characters, noncharacters and lone surrogates; white space
    (tabs, line breaks, U+0085) becomes one space first, so words stay apart."""
    return " ".join(_NOT_TEXT.sub("", " ".join(str(text).split())).split())


def for_terminal(text: str | None) -> str:
    """A stored name as printed: what is not text shown as a visible escape (`\\x1b`), so a
    name written by an older version can never drive the terminal."""
    if text is None:
        return ""
    return _NOT_TEXT.sub(_escaped, str(text))


def replace_not_text(text: str, by: str) -> str:
    """Each character that is not text replaced by `by` (file names: keep the length)."""
    return _NOT_TEXT.sub(by, text)


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
            else f"\\U{code:08x}")
