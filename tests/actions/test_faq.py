"""Questions about the practice, answered from the clinic file in the store."""

from __future__ import annotations

import yaml

from actions.faq import (
    NO_PRICES,
    ActionAskCost,
    ActionAskHours,
    ActionAskInsurance,
    ActionAskLocation,
    ActionAskPaymentOptions,
    ActionAskServices,
    ActionAskVisitPrep,
)
from actions.unclear import ActionOutOfScope
from clinic import practice
from clinic.db import session_scope
from clinic.seed import DEMO_CLINIC_FILE
from tests.actions.helpers import AISHA, MARIA, STRANGER_WEB, buttons, ent, run, texts, tracker


def ask_hours(sender=STRANGER_WEB, *values):
    _, said = run(
        ActionAskHours(),
        tracker(sender, intent="ask_hours", entities=[ent("time", v) for v in values]),
    )
    return texts(said)


def test_open_saturday_morning_closed_sunday(db):
    assert ask_hours(STRANGER_WEB, "2027-03-06") == "On Saturday, March 6 we're open 9 AM–12 PM."
    assert ask_hours(STRANGER_WEB, "2027-03-07") == "We're closed on Sunday, March 7."


def test_a_holiday_is_closed_with_its_reason(db):
    assert ask_hours(STRANGER_WEB, "2027-12-24") == (
        "We're closed on Friday, December 24 (Christmas Eve)."
    )


def test_open_at_a_moment(db):
    assert ask_hours(STRANGER_WEB, "2027-03-06T11:00:00-05:00").startswith(
        "Yes, we're open at 11:00 AM."
    )
    assert ask_hours(STRANGER_WEB, "2027-03-06T13:00:00-05:00").startswith(
        "No, we're not open at 1:00 PM."
    )


def test_the_regular_week(db):
    answer = ask_hours()
    assert "• Wednesday: 8 AM–7 PM" in answer and "• Sunday: closed" in answer
    assert answer.startswith("Today (Monday, March 1): open 8 AM–5 PM.")


def test_location_comes_from_the_clinic_file(db):
    info = practice.clinic_info(db)
    _, said = run(ActionAskLocation(), tracker(STRANGER_WEB, intent="ask_location"))
    assert info.address in texts(said) and info.parking in texts(said)


def test_visit_prep_for_a_blood_test_mentions_fasting(db):
    _, said = run(
        ActionAskVisitPrep(),
        tracker(
            STRANGER_WEB, intent="ask_visit_prep", entities=[ent("appointment_type", "blood_test")]
        ),
    )
    assert "Fast for 8 hours" in texts(said) and "photo ID" in texts(said)


def test_do_i_need_to_fast_is_answered_for_a_visit_whose_instructions_say_nothing_of_it(db):
    _, said = run(ActionAskVisitPrep(), tracker(AISHA, "do I need to fast?", "ask_visit_prep"))
    assert texts(said).startswith("The instructions for your physical exam on Thu, Mar 4 at ")
    assert "don't ask you to fast" in texts(said)
    _, said = run(ActionAskVisitPrep(), tracker(AISHA, "do I need to fast before my blood test?",
                  "ask_visit_prep", entities=[ent("appointment_type", "blood_test")]))  # fmt: skip
    assert "Fast for 8 hours" in texts(said) and "don't ask you to fast" not in texts(said)


def test_do_i_need_to_fast_is_answered_for_the_visit_that_asks_it(db):
    """Maria's next visit is a check-up, a blood test follows: "do I need to fast?" is about
    the blood test."""
    _, said = run(ActionAskVisitPrep(), tracker(MARIA, "do I need to fast?", "ask_visit_prep"))
    assert texts(said).startswith("For your blood test on ")
    assert "Fast for 8 hours" in texts(said)


def test_how_long_a_visit_takes_is_answered_first(db):
    _, said = run(ActionAskVisitPrep(), tracker(MARIA, "how long is a physical", "ask_visit_prep",
                  entities=[ent("appointment_type", "physical")]))  # fmt: skip
    assert texts(said).startswith("A physical exam takes about 45 minutes.")
    _, said = run(ActionAskVisitPrep(), tracker(AISHA, "how long will it take?", "ask_visit_prep"))
    assert texts(said).startswith("Your physical exam on Thu, Mar 4 at 9:00 AM takes about 45 ")


def test_visit_prep_for_my_next_appointment(db):
    _, said = run(ActionAskVisitPrep(), tracker(AISHA, intent="ask_visit_prep"))
    assert texts(said).startswith("For your physical exam on Thu, Mar 4 at 9:00 AM:")
    assert "It takes about 45 minutes." in texts(said)  # "how long will it take?"


def test_accepted_and_unknown_insurers(db):
    _, said = run(
        ActionAskInsurance(),
        tracker(STRANGER_WEB, intent="ask_insurance", entities=[ent("insurer", "aetna")]),
    )
    assert texts(said).startswith("Yes, we accept Aetna.")
    _, said = run(
        ActionAskInsurance(),
        tracker(STRANGER_WEB, intent="ask_insurance", entities=[ent("insurer", "Acme Health")]),
    )
    assert "I don't see Acme Health among the plans we take." in texts(said)
    assert "We accept: Aetna, Blue Cross Blue Shield" in texts(said)


def test_my_policy_on_file_and_how_to_update_it(db):
    _, said = run(ActionAskInsurance(), tracker(MARIA, intent="ask_insurance"))
    assert "On file for you: Aetna, member ID ending 2301 (primary)." in texts(said)
    assert "insurance card" in texts(said)
    _, stranger = run(ActionAskInsurance(), tracker(STRANGER_WEB, intent="ask_insurance"))
    assert "On file" not in texts(stranger)


def test_payment_options(db):
    _, said = run(ActionAskPaymentOptions(), tracker(STRANGER_WEB, intent="ask_payment_options"))
    for method in practice.clinic_info(db).payment_methods:
        assert method in texts(said)


def test_a_way_to_pay_asked_by_name_is_answered_yes_or_no_from_the_clinic_file(db):
    def ask(question: str) -> str:
        _, said = run(ActionAskPaymentOptions(), tracker(STRANGER_WEB, question,
                                                         "ask_payment_options"))  # fmt: skip
        return texts(said)

    # the demo file lists cards, HSA/FSA, checks, cash and the portal; no wallets
    assert ask("do you take apple pay").startswith(
        "Sorry, we don't take Apple Pay. You can pay by:"
    )
    assert ask("can I pay with PayPal?").startswith("Sorry, we don't take PayPal.")
    assert ask("is it ok to pay by bank transfer").startswith(
        "Sorry, we don't take bank transfers."
    )
    assert ask("is cash ok").startswith("Yes, we take cash.")
    assert ask("do you accept debit cards").startswith("Yes, we take debit cards.")
    assert ask("can I pay by check").startswith("Yes, we take checks.")
    assert ask("can I use my HSA card?").startswith("Yes, we take HSA cards.")
    # no way named ("can I check how to pay?" names none): the list alone
    assert ask("can I check how to pay?").startswith("You can pay by:")


def test_the_clinic_files_own_answer_comes_first_for_a_location_question(db):
    _, said = run(ActionAskLocation(), tracker(STRANGER_WEB, "what's your fax number",
                                               "ask_location"))  # fmt: skip
    assert texts(said).startswith("Our fax number is (413) 555-0199.")


def test_a_holiday_asked_by_name_is_answered_from_the_clinic_closures(db):
    def ask(question: str) -> str:
        _, said = run(ActionAskHours(), tracker(STRANGER_WEB, question, intent="ask_hours"))
        return texts(said)

    assert ask("are you open on thanksgiving?").startswith("We're closed on Thanksgiving,")
    assert "November 25" in ask("open thanksgiving day?")
    assert ask("what about christmas eve").startswith("We're closed on Christmas Eve,")
    assert ask("are you open at christmas").startswith("We're closed on Christmas Day,")
    assert ask("open on the 4th of july?").startswith("We're closed on Independence Day")
    # no such closure ahead, or no holiday named: the regular hours
    assert "regular opening hours" in ask("are you open on easter?")
    assert "regular opening hours" in ask("what are your hours?")


def ask_provider_hours(*values):
    entities = [ent("provider", "lee"), *(ent("time", v) for v in values)]
    _, said = run(ActionAskHours(), tracker(MARIA, "is dr lee in", "ask_hours", entities=entities))
    return said


def test_is_a_doctor_in_on_a_day_comes_from_their_hours_and_time_off(db):
    # the clinic file: Dr Lee works Mon, Wed-Sat; the seed gives him March 8-10 off
    said = ask_provider_hours("2027-03-04")
    assert texts(said) == (
        "Dr. Daniel Lee sees patients on Thursday, March 4: 9 AM–12:30 PM, 1:30 PM–5 PM."
    )
    assert buttons(said)[0]["payload"] == '/book_appointment{"provider":"lee"}'
    assert texts(ask_provider_hours("2027-03-02")) == (
        "Dr. Daniel Lee doesn't see patients on Tuesday, March 2."
    )
    assert (
        texts(ask_provider_hours("2027-03-10")) == "Dr. Daniel Lee is away on Wednesday, March 10."
    )


def test_a_doctors_usual_week(db):
    lines = texts(ask_provider_hours()).splitlines()
    assert lines[0] == "Dr. Daniel Lee usually sees patients:"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "• Monday", "• Wednesday", "• Thursday", "• Friday", "• Saturday"
    ]  # fmt: skip
    assert lines[-1] == "• Saturday: 9 AM–12 PM"


def test_a_question_naming_a_doctor_with_no_flow_open_says_who_they_are_and_when_they_work(db):
    from actions.follow_up import ActionInformWithoutContext

    _, said = run(ActionInformWithoutContext(), tracker(MARIA, "is dr garcia a dermatologist?",
                  entities=[ent("provider", "garcia")]))  # fmt: skip
    assert texts(said).startswith("Dr. Sofia Garcia (dermatology) usually sees patients:")
    assert buttons(said)[0]["payload"] == '/book_appointment{"provider":"garcia"}'
    # a doctor named without a question: the menu, as before
    _, said = run(ActionInformWithoutContext(), tracker(MARIA, "dr garcia",
                  entities=[ent("provider", "garcia")]))  # fmt: skip
    assert "usually sees patients" not in texts(said)


def test_do_you_offer_a_visit_is_answered_from_the_visit_types(db):
    from actions.faq import ActionAskServices

    _, said = run(ActionAskServices(), tracker(STRANGER_WEB, "do you offer flu shots?",
                  "ask_services", entities=[ent("appointment_type", "vaccination")]))  # fmt: skip
    assert texts(said).startswith("Yes: a vaccination (15 minutes) with ")
    assert buttons(said)[0]["payload"] == '/book_appointment{"appointment_type":"vaccination"}'
    # not a visit we have: the list, and the front desk; nothing promised
    _, said = run(ActionAskServices(), tracker(STRANGER_WEB, "do you do covid tests",
                                               "ask_services"))  # fmt: skip
    assert texts(said).startswith("The visits you can book here: ")
    assert "Covid" not in texts(said) and "front desk" in texts(said)
    assert "/request_human" in [b["payload"] for b in buttons(said)]
    # a provider named: who they are and when they work
    _, said = run(ActionAskServices(), tracker(STRANGER_WEB, "what does dr patel specialise in",
                  "ask_services", entities=[ent("provider", "patel")]))  # fmt: skip
    assert texts(said).startswith("Dr. Anika Patel (family medicine) usually sees patients:")


def test_the_location_answer_gives_the_email_too(db):
    _, said = run(ActionAskLocation(), tracker(STRANGER_WEB, "what's your email", "ask_location"))
    assert "Email: frontdesk@maplestreet.example." in texts(said)


def test_prices_and_the_missed_visit_fee_come_from_the_practice_never_made_up(db):
    checkup = [ent("appointment_type", "checkup")]
    asked = tracker(STRANGER_WEB, "how much does a checkup cost?", "ask_cost", checkup)
    _, said = run(ActionAskCost(), asked)
    assert "check-up $150" in texts(said), "the practice's own price list"
    assert buttons(said) == [{"title": "Message the billing office",
                              "payload": '/leave_message{"provider":"billing"}'}]  # fmt: skip
    _, said = run(ActionAskCost(), tracker(MARIA, "is there a fee if I miss my appointment?",
                                           "ask_cost"))  # fmt: skip
    assert "24 hours" in texts(said) and "$50" in texts(said)


def test_a_practice_without_a_price_list_sends_cost_questions_to_billing(db):
    with session_scope() as session:
        data = yaml.safe_load(DEMO_CLINIC_FILE.read_text())
        del data["clinic"]["faq"]
        practice.load_clinic(session, data)
    _, said = run(ActionAskCost(), tracker(STRANGER_WEB, "what are your prices", "ask_cost"))
    assert texts(said) == NO_PRICES and "$" not in texts(said)
    assert buttons(said)[0]["title"] == "Message the billing office"


def test_common_questions_read_as_other_things_get_the_practice_answer(db):
    _, said = run(ActionAskVisitPrep(), tracker(MARIA, "do I need a referral to see the "
                                                "dermatologist?", "ask_visit_prep"))  # fmt: skip
    assert "don't need a referral" in texts(said) and "arrive 10 minutes early" not in texts(said)
    _, said = run(ActionOutOfScope(), tracker(MARIA, "can my husband come in with me?",
                                              "out_of_scope"))  # fmt: skip
    assert texts(said).startswith("Yes, a family member")
    _, said = run(ActionAskServices(), tracker(STRANGER_WEB, "do you have an interpreter?",
                                               "ask_services"))  # fmt: skip
    assert "interpreter" in texts(said) and "visits you can book" not in texts(said)
    from actions.follow_up import ActionInformWithoutContext

    _, said = run(ActionInformWithoutContext(), tracker(MARIA, "whats the fax number", "inform"))
    assert texts(said).startswith("Our fax number is")
    _, said = run(ActionAskServices(), tracker(MARIA, "do you do telehealth or video visits",
                                               "ask_services"))  # fmt: skip
    assert texts(said).startswith("We don't offer video or phone visits at the moment")
    for asked in ("who are your doctors?", "do you have a female doctor"):
        _, said = run(ActionAskServices(), tracker(MARIA, asked, "ask_services"))
        assert texts(said).startswith("Our providers:\n• "), asked
        assert "Dr. Daniel Lee (internal medicine)" in texts(said)
    # a prep question the practice file doesn't answer still gets the visit's instructions
    _, said = run(ActionAskVisitPrep(), tracker(MARIA, "what should I bring?", "ask_visit_prep"))
    assert "photo ID" in texts(said)


def test_reminders_are_explained_as_the_assistant_sends_them(db):
    for asked in ("do you send reminders?", "can you remind me the day before?"):
        _, said = run(ActionAskServices(), tracker(MARIA, asked, "ask_services"))
        assert texts(said).startswith("Yes: for every visit booked, I send you a reminder here "
                                      "the day before and again 2 hours before"), asked  # fmt: skip
    _, said = run(ActionOutOfScope(), tracker(MARIA, "I got a reminder but the dog ate it",
                                              "out_of_scope"))  # fmt: skip
    assert "reminder here" not in texts(said)


def test_is_my_visit_covered_says_the_plan_decides_and_offers_billing(db):
    from actions.faq import ActionAskInsurance

    _, said = run(ActionAskInsurance(), tracker(MARIA, "is my blood test covered by my insurance",
                                                "ask_insurance"))  # fmt: skip
    assert "On file for you: Aetna" in texts(said)
    assert "depends on your plan" in texts(said)
    assert buttons(said)[0]["title"] == "Message the billing office"


def test_a_day_that_does_not_exist_is_said_so_before_the_answer(db):
    asked = tracker(MARIA, "are you open on the 31st of February?", "ask_hours")
    _, said = run(ActionAskHours(), asked)
    assert said.messages[0]["text"] == "February has no 31st."
    assert "March 31" not in texts(said), "not read as another month's 31st"


def test_a_plan_we_do_not_know_gets_a_plain_no_before_the_list(db):
    _, said = run(ActionAskInsurance(), tracker(MARIA, "do you take Kaiser?", "ask_insurance"))
    assert texts(said).startswith("I don't see Kaiser among the plans we take. We accept: ")
    _, said = run(ActionAskInsurance(), tracker(MARIA, "do you accept Oscar Health insurance?",
                                                "ask_insurance"))  # fmt: skip
    assert texts(said).startswith("I don't see Oscar Health among the plans we take.")
    _, said = run(ActionAskInsurance(), tracker(MARIA, "do you take medicaid?", "ask_insurance"))
    assert texts(said).startswith("Yes, we accept MassHealth (Medicaid).")
    _, said = run(ActionAskInsurance(), tracker(MARIA, "do you take my insurance?",
                                                "ask_insurance"))  # fmt: skip
    assert texts(said).startswith("We accept: ")


def test_are_you_open_now_is_yes_until_or_no_and_when_next(db, frozen_now):
    # Monday 9 am (the demo's "now"): open
    _, said = run(ActionAskHours(), tracker(MARIA, "are you open right now?", "ask_hours"))
    assert texts(said).startswith("Yes, we're open now, until ")
    frozen_now("2027-03-06T20:00:00-05:00")  # Saturday evening
    _, said = run(ActionAskHours(), tracker(MARIA, "are you open now?", "ask_hours"))
    assert texts(said).startswith("No, we're closed right now. We open again on Monday, March 8")


def test_a_holiday_next_year_is_named_with_its_year(db):
    _, said = run(ActionAskHours(), tracker(MARIA, "are you open on Presidents' Day?",
                                            "ask_hours"))  # fmt: skip
    assert "2028" in texts(said), texts(said)


def test_a_private_plan_under_a_public_name_is_not_promised(db):
    asked = tracker(MARIA, "do you accept medicare advantage?", "ask_insurance",
                    [ent("insurer", "medicare")])  # fmt: skip
    _, said = run(ActionAskInsurance(), asked)
    assert texts(said).startswith("We accept Medicare itself. A Medicare advantage plan is run")
