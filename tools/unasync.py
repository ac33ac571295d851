"""Generate the blocking client (`src/localkis/client/sync.py`) from the asyncio one (`aio.py`).

The async client is the one written by hand; the sync twin is the same text with its async words
replaced, as httpcore does with unasync. Run `python tools/unasync.py` after editing aio.py;
`python tools/unasync.py --check` (run by the test suite) fails when sync.py is not what aio.py
generates.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CLIENT = Path(__file__).resolve().parents[1] / "src" / "localkis" / "client"
SOURCE, TARGET = CLIENT / "aio.py", CLIENT / "sync.py"

SYNC_DOC = '''"""`KisClient`: the blocking client on one httpx connection pool (`transport.Transport`), thread-safe.

GENERATED from aio.py by tools/unasync.py: do not edit; edit aio.py and run `python tools/unasync.py`.
The operations themselves are the generator plans of `core.py`; only the I/O is written here. The
rate limiter and the token cache are shared with every client of the same app in the process.
"""'''

# Whole words (and phrases) of the async source and their sync counterparts, applied in order.
REPLACEMENTS: list[tuple[str, str]] = [
    (r"\bAsyncKisClient\b", "KisClient"),
    (r"\bAsyncTransport\b", "Transport"),
    (r"\baclose\b", "close"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\balocked\b", "locked"),
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
    (r"\basyncio\.sleep\b", "time.sleep"),
    (r"^import asyncio$", "import time"),
    (r", for asyncio\.", "."),
    (r"Calls from many tasks share", "Calls from many threads share"),
]


def generate(source: str) -> str:
    doc_end = source.index('"""', 3) + 3
    out: list[str] = []
    shift = depth = 0
    for line in source[doc_end:].split("\n"):
        if depth > 0:  # a continuation line: keep it under the bracket it hung from
            line = line[shift:] if line[:shift].isspace() else line
        else:
            new = line
            for pattern, replacement in REPLACEMENTS:
                new = re.sub(pattern, replacement, new)
            shift = len(line) - len(new)
            line = new
        depth = max(0, depth + _brackets(line))
        out.append(line)
    return SYNC_DOC + "\n".join(out)


def _brackets(line: str) -> int:
    """Opened minus closed brackets outside string literals and comments (enough for this file)."""
    code = re.sub(r"#.*$", "", re.sub(r"'[^']*'|\"[^\"]*\"", "", line))
    return sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")


def main(argv: list[str]) -> int:
    wanted = generate(SOURCE.read_text(encoding="utf-8"))
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != wanted:
            print(f"{TARGET} is not what {SOURCE.name} generates: run python tools/unasync.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
