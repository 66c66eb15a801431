"""Rasa 3.6 graph component: one `time` entity per date/time phrase in the user's message.

A thin wrapper around nlu.time_parsing.find_times (where the rules and the tests live).
"Now" is MEDSEC_NOW if set, else the clock, in MEDSEC_TIMEZONE; both are read from the
environment on every message because this runs inside Rasa and must not import clinic/.

config.yml:
    - name: nlu.time_extractor.TimeExtractor
      date_order: MDY      # or DMY: how "3/4" is read
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.code_fingerprint import FingerprintsOurCode
from nlu.time_parsing import DATE_ORDERS, find_times, reference_now

logger = logging.getLogger(__name__)

ENTITY_NAME = "time"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class TimeExtractor(FingerprintsOurCode, GraphComponent, EntityExtractorMixin):
    """Finds date/time phrases and resolves them against the clinic's "now"."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"date_order": "MDY"}

    def __init__(self, config: dict[str, Any]) -> None:
        self.date_order = str(config.get("date_order", "MDY")).upper()
        if self.date_order not in DATE_ORDERS:
            raise InvalidConfigException(
                f"TimeExtractor: date_order must be one of {DATE_ORDERS}, not {self.date_order!r}"
            )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TimeExtractor:
        reference_now()  # a bad MEDSEC_NOW / MEDSEC_TIMEZONE stops start-up, naming the variable
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        now = reference_now()
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            entities = [
                {
                    "entity": ENTITY_NAME,
                    "start": match.start,
                    "end": match.end,
                    "value": match.value,
                    "confidence": 1.0,
                    "additional_info": {
                        "grain": match.grain,
                        "hours": match.hours,
                        "dated": match.dated,
                    },
                }
                for match in find_times(text, now, self.date_order)
            ]
            if entities:
                logger.debug("time entities: %d", len(entities))
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name(entities),
                add_to_output=True,
            )
        return messages
