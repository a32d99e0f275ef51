"""Each consuming service's Kafka wiring, on FastStream's in-memory broker (no Kafka, no database).

What is checked here is the wiring only: which topics a service consumes, under which consumer group, and that a
record breaking the contract on any of them goes to that service's own dead-letter topic with its source named
(the replay tool reads those headers). What the handlers do with good records is tested against real Kafka and
PostgreSQL in tests/integration and tests/e2e.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from contracts import Department
from contracts.topics import (
    ALL_TOPICS,
    BILLING_MATCHED,
    BILLING_SOURCE,
    COLLECTION_EVENTS,
    DEAD_LETTER_COLLECTION,
    DEAD_LETTER_LAWYER_GATEWAY,
    DEAD_LETTER_MATCHING,
    DEAD_LETTER_TOPICS,
    DEAD_LETTER_WELFARE,
    IDENTITY_EVENTS,
    LAWYER_ACTIVITIES,
    OUTSOURCED_CASES,
    WELFARE_REFERRALS,
    TopicSpec,
)


@dataclass(frozen=True)
class Wiring:
    service: str  # the consumer name in the dead-letter headers
    create_app: Callable[[], FastAPI]
    consumes: dict[str, str]  # topic -> consumer group
    dead_letter: TopicSpec


def _collection() -> FastAPI:
    from services.collection.app import create_app
    return create_app()


def _matching() -> FastAPI:
    from services.matching.app import create_app
    return create_app()


def _welfare() -> FastAPI:
    from services.welfare_referral.app import create_app
    return create_app()


def _gateway() -> FastAPI:
    from services.lawyer_gateway.app import create_app
    return create_app()


WIRING = [
    Wiring("collection", _collection, {BILLING_MATCHED.name: "collection-ledger",
                                       IDENTITY_EVENTS.name: "collection-identity",
                                       LAWYER_ACTIVITIES.name: "collection-lawyer-activities",
                                       WELFARE_REFERRALS.name: "collection-welfare-holds"}, DEAD_LETTER_COLLECTION),
    Wiring("debtor-matching", _matching, {BILLING_SOURCE.name: "debtor-matching"}, DEAD_LETTER_MATCHING),
    Wiring("welfare-referral", _welfare, {COLLECTION_EVENTS.name: "welfare-referral-standings"}, DEAD_LETTER_WELFARE),
    Wiring("lawyer-gateway", _gateway, {OUTSOURCED_CASES.name: "lawyer-gateway-cases"},
           DEAD_LETTER_LAWYER_GATEWAY),
]


@pytest.fixture(autouse=True)
def development_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOYMENT_ENVIRONMENT", "test")


def subscriptions(broker: KafkaBroker) -> dict[str, str]:
    found: dict[str, str] = {}
    for subscriber in broker.subscribers:
        for topic in subscriber.topic_names:
            found[topic] = subscriber.group_id
    return found


@pytest.mark.parametrize("wiring", WIRING, ids=lambda w: w.service)
def test_each_service_consumes_its_topics_under_its_own_groups(wiring: Wiring) -> None:
    assert subscriptions(wiring.create_app().state.broker) == wiring.consumes


def test_every_topic_with_messages_has_a_consumer_and_every_consumer_a_dead_letter_topic() -> None:
    consumed = {topic for wiring in WIRING for topic in wiring.consumes}
    with_messages = {t.name for t in ALL_TOPICS if t.messages and not t.consumed_outside}
    assert with_messages <= consumed, f"nobody consumes {sorted(with_messages - consumed)}"
    outside = {t.name for t in ALL_TOPICS if t.consumed_outside}
    assert outside == {f"feeds.{d.value}.v1" for d in Department} and not outside & consumed  # the departments' own
    assert {w.dead_letter.name for w in WIRING} == {t.name for t in DEAD_LETTER_TOPICS}
    groups = [group for wiring in WIRING for group in wiring.consumes.values()]
    assert len(groups) == len(set(groups)), "two consumers share a group: they would split each other's records"


@pytest.mark.parametrize(("wiring", "topic"), [(w, t) for w in WIRING for t in w.consumes],
                         ids=lambda v: v.service if isinstance(v, Wiring) else v)
async def test_a_record_breaking_the_contract_goes_to_the_services_dead_letter_topic(wiring: Wiring,
                                                                                   topic: str) -> None:
    broker: KafkaBroker = wiring.create_app().state.broker
    dead: list[tuple[bytes, dict[str, str]]] = []

    @broker.subscriber(wiring.dead_letter.name)
    async def catch(message: KafkaMessage) -> None:
        dead.append((message.body, dict(message.headers)))

    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b"{\"not\": \"an envelope\"}", topic, key=b"k",
                                  headers={"message-id": "wiring-test"})

    assert len(dead) == 1, f"{topic}: {len(dead)} dead letters"
    body, headers = dead[0]
    assert body == b"{\"not\": \"an envelope\"}"  # kept as it arrived, for a replay after a fix
    assert headers["dlq-source-topic"] == topic
    assert headers["dlq-consumer"] == wiring.service
    assert headers["dlq-error"].startswith("contract:")
    assert headers["message-id"] == "wiring-test"
