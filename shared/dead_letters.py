"""Inspect and replay dead letters: ``python -m shared.dead_letters list|replay``.

A dead letter is the original record (value and headers as they arrived) plus ``dlq-*`` headers saying where
it came from and why it failed. ``list`` shows what is there without printing payloads (they hold personal
data); ``replay`` re-sends the selected records, unchanged, to the topic they came from, after the cause was
fixed. Consumers apply a message id once, so replaying a record that did get through changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from contracts.envelope import HEADER_MESSAGE_ID
from contracts.topics import DEAD_LETTER_TOPICS as _DEAD_LETTER_SPECS
from shared.topic_reader import read_to_end

DEAD_LETTER_TOPICS = tuple(spec.name for spec in _DEAD_LETTER_SPECS)


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def message_id(self) -> str:
        return self.headers.get(HEADER_MESSAGE_ID, "")

    @property
    def source_topic(self) -> str:
        return self.headers.get("dlq-source-topic", "")

    @property
    def error(self) -> str:
        return self.headers.get("dlq-error", "")

    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(k, v.encode()) for k, v in self.headers.items() if not k.startswith("dlq-")]


async def read_dead_letters(bootstrap_servers: str, topic: str, timeout: float = 30) -> list[DeadLetter]:
    return [DeadLetter(r.topic, r.partition, r.offset, r.key, r.value or b"",
                       {k: v.decode(errors="replace") for k, v in r.headers or ()})
            for r in await read_to_end(bootstrap_servers, topic, timeout)]


def select(letters: list[DeadLetter], *, message_ids: list[str] | None = None, error_contains: str | None = None,
           offsets: list[int] | None = None) -> list[DeadLetter]:
    chosen = letters
    if message_ids:
        chosen = [d for d in chosen if d.message_id in set(message_ids)]
    if error_contains:
        chosen = [d for d in chosen if error_contains in d.error]
    if offsets:
        chosen = [d for d in chosen if d.offset in set(offsets)]
    return chosen


async def replay(bootstrap_servers: str, letters: list[DeadLetter]) -> int:
    """Re-send the records to their source topics; returns how many were sent (all acknowledged)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send(d.source_topic, d.value, key=d.key, headers=d.original_headers())
                for d in letters if d.source_topic]
        await asyncio.gather(*sent)
        return len(sent)
    finally:
        await producer.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.dead_letters", description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap-servers", default=None)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("list", "replay"):
        command = sub.add_parser(name)
        command.add_argument("topic", choices=DEAD_LETTER_TOPICS, help="which service's dead letters")
        command.add_argument("--message-id", action="append", help="only this message id (repeatable)")
        command.add_argument("--offset", type=int, action="append", help="only this offset (repeatable)")
        command.add_argument("--error-contains", help="only records whose error contains this text")
        if name == "replay":
            command.add_argument("--all", action="store_true", help="replay every dead letter of the topic")
    args = parser.parse_args(argv)
    from shared.settings import ServiceSettings

    bootstrap = args.bootstrap_servers or ServiceSettings().kafka_bootstrap_servers
    letters = select(asyncio.run(read_dead_letters(bootstrap, args.topic)), message_ids=args.message_id,
                     error_contains=args.error_contains, offsets=args.offset)
    if args.command == "list":
        for d in letters:
            print(json.dumps({"offset": d.offset, "message_id": d.message_id, "source_topic": d.source_topic,
                              "consumer": d.headers.get("dlq-consumer"), "failed_at": d.headers.get("dlq-failed-at"),
                              "error": d.error[:300]}, ensure_ascii=False))
        print(f"{len(letters)} dead letters", file=sys.stderr)
        return 0
    if not (args.all or args.message_id or args.offset or args.error_contains):
        parser.error("replay needs a selection: --message-id, --offset, --error-contains or --all")
    count = asyncio.run(replay(bootstrap, letters))
    print(f"replayed {count} dead letters from {args.topic}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
