import uuid

from aiokafka.admin import AIOKafkaAdminClient

from contracts.topics import ALL_TOPICS, TopicSpec
from shared.kafka import ensure_topics
from tests.infrastructure import Infrastructure


async def test_every_declared_topic_exists_with_its_partitions_and_retention(infrastructure: Infrastructure) -> None:
    assert await ensure_topics(infrastructure.kafka_bootstrap_servers) == []  # created by the session fixture
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    await admin.start()
    try:
        described = {d["topic"]: d for d in await admin.describe_topics([t.name for t in ALL_TOPICS])}
        for topic in ALL_TOPICS:
            assert len(described[topic.name]["partitions"]) == topic.partitions
    finally:
        await admin.close()


async def test_creating_topics_twice_creates_them_once(infrastructure: Infrastructure) -> None:
    spec = TopicSpec(f"test.topics.{uuid.uuid4().hex[:8]}", 2, 60_000, "test")
    assert await ensure_topics(infrastructure.kafka_bootstrap_servers, [spec]) == [spec.name]
    assert await ensure_topics(infrastructure.kafka_bootstrap_servers, [spec]) == []
