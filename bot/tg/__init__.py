"""The Telegram adapter (python-telegram-bot 22): small handler modules around the gateway.

bot/telegram_app.py builds the Application and wires these together.
"""
