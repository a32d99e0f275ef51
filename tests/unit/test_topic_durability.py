"""Topic durability (shared/kafka.py): what a topic is created with on one broker and on a production cluster."""

from __future__ import annotations

import pytest

from contracts.topics import ALL_TOPICS, BILLING_MATCHED, INGEST_PROGRESS
from shared.kafka import TopicDurability, new_topic
from shared.settings import ServiceSettings


def test_one_broker_by_default_one_copy_and_one_in_sync() -> None:
    topic = new_topic(BILLING_MATCHED, TopicDurability())
    assert (topic.name, topic.num_partitions, topic.replication_factor) == (BILLING_MATCHED.name, 6, 1)
    assert topic.topic_configs["min.insync.replicas"] == "1"
    assert topic.topic_configs["retention.ms"] == str(BILLING_MATCHED.retention_ms)


def test_a_production_cluster_keeps_three_copies_and_needs_two_for_a_write() -> None:
    cluster = TopicDurability(replication_factor=3, min_insync_replicas=2)
    for spec in ALL_TOPICS:
        topic = new_topic(spec, cluster)
        assert topic.replication_factor == 3 and topic.topic_configs["min.insync.replicas"] == "2"
        assert topic.num_partitions == spec.partitions
    assert new_topic(INGEST_PROGRESS, cluster).topic_configs["cleanup.policy"] == "compact"


@pytest.mark.parametrize(("replicas", "in_sync", "named"), [
    (0, 1, "KAFKA_REPLICATION_FACTOR"), (3, 4, "KAFKA_MIN_INSYNC_REPLICAS"), (3, 0, "KAFKA_MIN_INSYNC_REPLICAS")])
def test_an_impossible_durability_is_refused_naming_the_setting(replicas: int, in_sync: int, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        TopicDurability(replicas, in_sync)


def test_the_settings_read_the_cluster_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_REPLICATION_FACTOR", "3")
    monkeypatch.setenv("KAFKA_MIN_INSYNC_REPLICAS", "2")
    settings = ServiceSettings()
    assert (settings.kafka_replication_factor, settings.kafka_min_insync_replicas) == (3, 2)
