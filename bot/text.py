"""Splitting long replies to fit a message limit, on the most natural boundary available.

Telegram counts message length in UTF-16 code units (most emoji count 2), so lengths here do
too. Boundaries tried in order: blank line (paragraph), line break, space, and only then a hard
cut between two characters.
"""

from __future__ import annotations

TELEGRAM_LIMIT = 4096
BOUNDARIES = ("\n\n", "\n", " ")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """Number of characters of `text` whose UTF-16 length fits in `limit`."""
    total = 0
    for index, char in enumerate(text):
        total += 2 if ord(char) > 0xFFFF else 1
        if total > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Chunks of at most `limit` UTF-16 units; joining them back loses only the whitespace at
    the cut points. Empty or blank text gives no chunks."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_len(rest) <= limit:
            chunks.append(rest)
            break
        fits = _prefix_within(rest, limit)
        cut = -1
        for boundary in BOUNDARIES:
            cut = rest.rfind(boundary, 0, fits + len(boundary))
            if cut > 0:
                break
        if cut <= 0:
            cut = fits
        chunk, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if chunk:
            chunks.append(chunk)
    return chunks
