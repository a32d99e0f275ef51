"""The dead-letter tool knows every service's dead-letter topic, because both read contracts/topics.py."""

import ast
from pathlib import Path

from contracts import topics
from shared.dead_letters import DEAD_LETTER_TOPICS

ROOT = Path(__file__).resolve().parents[2]


def _dead_letter_specs_used_by_services() -> set[str]:
    """Names of the ``DEAD_LETTER_*`` constants that any service passes to its consumers."""
    used = set()
    for path in (ROOT / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "contracts.topics":
                used |= {alias.name for alias in node.names if alias.name.startswith("DEAD_LETTER_")}
    return used


def test_every_dead_letter_topic_a_service_writes_can_be_listed_and_replayed():
    used = _dead_letter_specs_used_by_services()
    assert len(used) >= 4, used
    for constant in used:
        assert getattr(topics, constant).name in DEAD_LETTER_TOPICS, constant


def test_only_dead_letter_topics_are_offered_for_replay():
    assert all(name.startswith("dead-letter.") for name in DEAD_LETTER_TOPICS)
    assert len(set(DEAD_LETTER_TOPICS)) == len(DEAD_LETTER_TOPICS)
