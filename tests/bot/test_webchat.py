"""The local web chat in headless Chromium (Debian's chromium driven by Playwright): a patient
links by phone + date of birth and chats with the real Rasa; a staff member sees a handoff in
the staff chat and answers it; buttons render as buttons and work once."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.async_api import Page, async_playwright, expect

from bot.clinic_bridge import ClinicBridge
from bot.gateway import Gateway
from bot.rasa_client import RasaClient
from bot.staff_desk import StaffDesk
from bot.webchat import WebChat
from clinic import identity, patient_documents, staff
from clinic.db import session_scope

pytestmark = pytest.mark.rasa

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STAFF_TG = 7001


@pytest.fixture
def store(clinic_engine):
    with session_scope(clinic_engine) as session:
        identity.register_patient(
            session, first_name="James", last_name="Carter", date_of_birth=date(1972, 9, 30),
            phone="+14135550187",
        )  # fmt: skip
        staff.add_staff(session, name="Rita Alvarez", role="front_desk", telegram_user_id=STAFF_TG)
    return clinic_engine


@pytest.fixture
async def webchat(store, rasa_server):
    clinic = ClinicBridge(store)
    chat = WebChat(
        Gateway(RasaClient(rasa_server.url), clinic), clinic, StaffDesk(clinic), outbox_interval=0.3
    )
    await chat.start("127.0.0.1", 0)
    yield chat
    await chat.stop()


@pytest.fixture
async def browser():
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


def last_bot(page: Page):
    return page.locator("#log li.bot").last


async def say(page: Page, text: str) -> None:
    await page.get_by_test_id("text").fill(text)
    await page.get_by_test_id("send").click()


async def test_a_patient_links_with_phone_and_date_of_birth(
    webchat, browser, tmp_path, monkeypatch
):
    monkeypatch.setattr(patient_documents, "DOCUMENTS_DIR", tmp_path / "documents")
    page = await browser.new_page()
    await page.goto(webchat.url)
    log = page.get_by_test_id("log")
    await expect(log).to_contain_text("virtual secretary", timeout=20_000)
    link = page.get_by_role("button", name="Link my account")
    await expect(link).to_be_visible()
    await link.click()
    await expect(link).to_be_disabled()  # a keyboard works once
    await expect(last_bot(page)).to_contain_text("phone number")

    await say(page, "not a phone")
    await expect(last_bot(page)).to_contain_text("doesn't look like a phone number")
    await say(page, "413-555-0187")
    await expect(last_bot(page)).to_contain_text("date of birth")
    await say(page, "09/30/72")
    await expect(last_bot(page)).to_contain_text("James, your account is linked")
    state = await (await page.request.get(f"{webchat.url}/api/state")).json()
    assert state["who"] == "patient" and state["name"] == "James"

    await say(page, "hello")
    await expect(last_bot(page)).to_contain_text("virtual secretary", timeout=20_000)

    referral = b"%PDF-1.4 referral letter"
    await page.get_by_test_id("file").set_input_files(
        files=[{"name": "referral.pdf", "mimeType": "application/pdf", "buffer": referral}]
    )
    await expect(last_bot(page)).to_contain_text("added your referral letter to your record")
    await page.get_by_test_id("file").set_input_files(
        files=[{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"just text"}]
    )
    await expect(last_bot(page)).to_contain_text("only accept photos")
    stored = list((tmp_path / "documents").rglob("*.pdf"))
    assert [p.read_bytes() for p in stored] == [referral]


async def test_staff_answer_a_patient_from_the_staff_chat(webchat, browser):
    patient = await (await browser.new_context()).new_page()
    desk = await (await browser.new_context()).new_page()
    await desk.goto(webchat.url)
    desk.once("dialog", lambda dialog: dialog.accept(str(STAFF_TG)))
    await desk.get_by_test_id("role").select_option("staff")
    await expect(desk.get_by_test_id("staff-chat")).to_be_visible()
    await expect(desk.get_by_test_id("log")).to_contain_text("Hello Rita Alvarez", timeout=20_000)

    await patient.goto(webchat.url)
    await expect(patient.get_by_test_id("log")).to_contain_text("virtual secretary", timeout=20_000)
    await say(patient, "/human")
    await expect(last_bot(patient)).to_contain_text("goes to a person")
    await say(patient, "Is the clinic wheelchair accessible?")
    await expect(last_bot(patient)).to_contain_text("Passed on")

    staff_chat = desk.get_by_test_id("staff-chat")
    await expect(staff_chat).to_contain_text("Is the clinic wheelchair accessible?")
    await staff_chat.locator("li").last.get_by_role("button", name="Reply").click()
    await say(desk, "Yes, there is a ramp at the main door.")
    await expect(last_bot(desk)).to_contain_text("Sent to the patient")
    await expect(patient.get_by_test_id("log")).to_contain_text(
        "Rita Alvarez: Yes, there is a ramp at the main door."
    )

    await say(desk, "/today")
    await expect(last_bot(desk)).to_contain_text("Monday, March 1")
    await say(patient, "/done")
    await expect(last_bot(patient)).to_contain_text("ended the conversation")
    await say(patient, "/inbox")
    await expect(last_bot(patient)).to_contain_text("only for the practice's staff")


async def test_the_staff_role_needs_a_real_staff_id(webchat, browser):
    page = await browser.new_page()
    await page.goto(webchat.url)
    await expect(page.get_by_test_id("log")).to_contain_text("virtual secretary", timeout=20_000)
    page.once("dialog", lambda dialog: dialog.accept("123456"))
    await page.get_by_test_id("role").select_option("staff")
    await expect(page.get_by_test_id("log")).to_contain_text("No staff member has that Telegram id")
    await expect(page.get_by_test_id("staff-chat")).to_be_hidden()
