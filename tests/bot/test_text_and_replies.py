"""Splitting long replies and reading Rasa's reply list."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from bot.replies import Button, from_rasa
from bot.text import split_text, utf16_len


def test_short_text_is_one_chunk_and_blank_is_none():
    assert split_text("Hello") == ["Hello"]
    assert split_text("   \n ") == []


def test_splits_on_paragraphs_before_lines_before_words():
    para = "a" * 3000
    text = f"{para}\n\n{'b' * 2000}\n{'c' * 100}"
    chunks = split_text(text)
    assert chunks == [para, f"{'b' * 2000}\n{'c' * 100}"]

    lines = "\n".join(f"line {i:04d} " + "x" * 40 for i in range(200))
    for chunk in split_text(lines):
        assert utf16_len(chunk) <= 4096
        assert chunk.startswith("line ") and chunk.endswith("x"), "cut mid-line"

    words = " ".join(["word"] * 2000)
    chunks = split_text(words, limit=100)
    assert all(c.startswith("word") and c.endswith("word") for c in chunks)


def test_emoji_count_double_and_are_never_cut_in_half():
    text = "😀" * 3000  # 6000 UTF-16 units, no spaces
    chunks = split_text(text)
    assert [utf16_len(c) for c in chunks] == [4096, 6000 - 4096]
    assert "".join(chunks) == text


@given(st.text(min_size=0, max_size=3000), st.integers(min_value=2, max_value=300))
def test_chunks_fit_and_keep_every_visible_character(text, limit):
    chunks = split_text(text, limit)
    assert all(0 < utf16_len(c) <= limit for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())


def test_from_rasa_reads_text_buttons_images_documents_and_skips_garbage():
    pdf = b"%PDF-1.4 bill"
    replies = from_rasa(
        [
            {
                "recipient_id": "tg:1",
                "text": "Pick a time",
                "buttons": [
                    {"title": "Tue 9:00", "payload": '/inform{"time":"2027-03-02T09:00:00-05:00"}'},
                    {"title": ""},  # no title: dropped
                    "nonsense",
                ],
            },
            {"recipient_id": "tg:1", "image": "https://example.org/map.png"},
            {"recipient_id": "tg:1", "custom": {"document": {"kind": "ics", "appointment_id": 12}}},
            {
                "recipient_id": "tg:1",
                "custom": {
                    "document": {
                        "filename": "bill.pdf",
                        "mime_type": "application/pdf",
                        "content_base64": base64.b64encode(pdf).decode(),
                    }
                },
            },
            {"recipient_id": "tg:1", "custom": {"document": {"content_base64": "!!not base64"}}},
            {"recipient_id": "tg:1", "custom": {"request_contact": True, "text": "Share?"}},
            {"recipient_id": "tg:1", "text": "   "},
            42,
        ]
    )
    assert replies[0].text == "Pick a time"
    assert replies[0].buttons == (
        Button("Tue 9:00", '/inform{"time":"2027-03-02T09:00:00-05:00"}'),
    )
    assert replies[1].image == "https://example.org/map.png"
    assert replies[2].document.kind == "ics" and replies[2].document.ref == {"appointment_id": 12}
    assert replies[3].document.content == pdf and replies[3].document.filename == "bill.pdf"
    assert replies[4].request_contact and replies[4].text == "Share?"
    assert len(replies) == 5
