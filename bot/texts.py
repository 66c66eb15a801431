"""What the bot itself says (not Rasa): short, plain sentences in one place."""

EMPTY_MESSAGE = "I got an empty message. What can I help you with?"
LONG_MESSAGE = (
    "That's a long message, so I've passed it to the front desk and a person will read it. "
    "For quick questions, a sentence or two works best."
)
RASA_DOWN = (
    "Sorry, I can't answer right now, please try again shortly. "
    "Your message has been passed to the front desk."
)
ALL_DOWN = (
    "Sorry, I can't answer right now and couldn't pass your message on. Please try again in a "
    "few minutes, or call the practice."
)
NO_ANSWER = (
    "Sorry, I don't have an answer for that. You can rephrase it, type /help to see what I "
    "can do, or talk to a person."
)
HANDOFF_OPENED = (
    "I've asked the front desk to join. Everything you write here now goes to a person, "
    "who will answer in this chat. If nobody is free right now, your messages wait in the "
    "inbox and nothing is lost."
)
EMERGENCY_NOT_ALERTED = "I couldn't reach the practice staff just now; please call for help."
RELAYED = "Passed on to the front desk; a person will answer here."
HANDOFF_CLOSED = "You've ended the conversation with the front desk. I'm back: how can I help?"
HANDOFF_CLOSED_BY_STAFF = "The front desk has closed this conversation. I'm back: how can I help?"
NO_HANDOFF = "You're not talking to the front desk at the moment. How can I help?"
BUTTON_EXPIRED = "That button has expired. Please ask me again."
ALREADY_LINKED = "You're already linked to your patient record, {name}."
LINKED = "Thanks, {name}, your account is linked. You can now book and manage appointments."
REGISTERED = "Welcome, {name}! You're registered as a new patient and can book appointments now."
NAME_AGAIN = "Please give your first and last name (for example: Jane Smith)."
CARRY_ON = "Now, about what you asked: “{asked}”"
LINK_PROMPT = (
    "To see or book your appointments I need to know who you are: link your account with "
    "your phone number and date of birth (the button below). New patients can register the "
    "same way."
)
GREETING_OFFLINE = (
    "Hello! I'm the practice's virtual secretary. I can't answer questions at this very "
    "moment; please try again shortly, or type /human to reach the front desk."
)
TYPED_PHONE = (
    'Please tap "Share my phone number" (the button under the message box) rather than typing '
    "it: that shows me the number is really yours. Then I'll ask for your date of birth."
)
STRANGER_CONTACT = (
    "That contact isn't yours. To link your account, please share your own phone number "
    "with the button below."
)
UNSUPPORTED = {
    "sticker": "Nice sticker! I can only read text, though. What can I help you with?",
    "voice": "Sorry, I can't listen to voice messages. Please type your message instead.",
    "location": 'Thanks, but I don\'t need your location. Our address: type "where are you".',
    "other": "Sorry, I can't handle that kind of message. Please type what you need.",
}
INBOX_TYPED_HINT = (
    "Or type “reply 3 <your answer>” to answer message #3, “close 3” to close it "
    "(“close conversation 2” for a conversation)."
)
STAFF_COMMAND_ELSEWHERE = (
    "Staff commands work in a private chat with me or in the staff chat, not in this group: "
    "their answers name patients."
)
STAFF_ONLY = "Sorry, that command is only for the practice's staff."
UNKNOWN_COMMAND = "I don't know that command. Try /help, /appointments, /cancel or /human."
STAFF_HELLO = (
    "Hello {name}. Staff commands: /today (today's schedule), /schedule <date> [provider], "
    "/inbox (open messages)."
)
FILE_TOO_BIG = "That file is too big for me (20 MB at most). Please send a smaller photo or PDF."
UNSUPPORTED_FILE = (
    "I can only accept photos and PDF files (an insurance card, a referral letter). "
    "Please send it as a photo or a PDF."
)
DOCUMENT_STORED = "Thanks, I've added {what} to your record and let the front desk know."
DOCUMENT_NEEDS_LINK = (
    "Thanks. I've passed your file to the front desk. To keep files with your record, link "
    "your account first (/start)."
)
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."
