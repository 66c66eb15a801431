"""Blank messages: read as one placeholder word, and never taken for an intent.

Why: for an empty or all-space message Rasa 3.6's tokenizer yields no tokens, so the count and
regex featurizers add no features, and LogisticRegressionClassifier fails on a feature matrix
narrower than the one it was trained on ("X has 16889 features, expecting 16893"): Rasa
answers nothing at all. `BlankSafeWhitespaceTokenizer` reads such a message as the word
`__blank__`, so it is featurised like any other; `BlankAwareFallbackClassifier` then always
sends it to `nlu_fallback` (whatever the classifier guessed for a word it never saw), whose
answer offers the help buttons and the way to a person.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.code_fingerprint import FingerprintsOurCode

BLANK_TEXT = "__blank__"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BlankSafeWhitespaceTokenizer(FingerprintsOurCode, WhitespaceTokenizer):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and not text.strip():
                message.set(TEXT, BLANK_TEXT)
        return super().process(messages)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class BlankAwareFallbackClassifier(FingerprintsOurCode, FallbackClassifier):
    def _should_fallback(self, message: Message) -> bool:
        return message.get(TEXT) == BLANK_TEXT or super()._should_fallback(message)
