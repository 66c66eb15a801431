"""Inline buttons across a restart: a long payload's stored key survives (persistence), a key
pressed from another chat or a forged one is refused, and a pressed keyboard is answered."""

from __future__ import annotations

from bot import texts
from bot.replies import Button, Reply
from bot.tg.callbacks import CallbackCodec
from bot.tg.render import Renderer
from tests.bot.harness import running_bot
from tests.bot.test_rasa_client import MisbehavingRasa

SLOT = '/inform{"slot_start":"2027-03-09T13:00:00-05:00","provider":"patel","note":"x"}'


async def no_documents(sender, ref):
    return None


async def test_stored_button_keys_survive_a_restart_and_stay_in_their_chat(
    fake_telegram, clinic_engine, tmp_path
):
    fake = fake_telegram
    alice = fake.user(9701, "Alice")
    bob = fake.user(9702, "Bob")
    state = tmp_path / "telegram-state.pickle"
    async with MisbehavingRasa() as rasa:
        async with running_bot(fake, rasa.url, clinic_engine, state_file=state) as first:
            app = first.application
            renderer = Renderer(
                CallbackCodec(lambda: app.bot_data.setdefault("callbacks", {})), no_documents
            )
            offer = Reply("Which time suits you?", buttons=(Button("Tue 1 PM", SLOT),))
            await renderer.send(app.bot, alice.id, [offer], sender="tg:9701")
            await renderer.send(app.bot, bob.id, [Reply("Hi", buttons=(Button("Ok", "/affirm"),))],
                                sender="tg:9702")  # fmt: skip
        shown = await fake.next_message(alice.id)
        bobs = await fake.next_message(bob.id)
        key = shown.inline_buttons[0][1]
        assert key.startswith("k:") and state.exists()

        rasa.script = [(200, [{"recipient_id": "tg:9701", "text": "Shall I book it?"}], 0)]
        async with running_bot(fake, rasa.url, clinic_engine, state_file=state):
            fake.press_button(bob, bobs, key)  # Alice's key, pressed in Bob's chat
            await fake.wait_until(lambda: len(fake.callback_answers) == 1)
            fake.press_button(alice, shown, "k:forged-key")
            await fake.wait_until(lambda: len(fake.callback_answers) == 2)
            fake.press_button(alice, shown, key)  # after the restart, the real one
            answer = await fake.next_message(alice.id, timeout=10)
    assert [a.get("text") for a in fake.callback_answers[:2]] == [texts.BUTTON_EXPIRED] * 2
    assert answer.text == "Shall I book it?"
    assert [r["message"] for r in rasa.received] == [SLOT], "only the genuine press reached Rasa"
    assert shown.text.endswith("→ Tue 1 PM") and shown.inline_buttons == []
