"""Operations for supervisors (係長・課長): the import history (each department export's last progress, from the
compacted ``ingest.progress.v1``) and the dead letters of every service with their replay — the same reads and
sends as the operators' command ``python -m shared.dead_letters``, behind a role and the audit log.

Nothing here shows personal data: an import is its source system, file name, submitter (a system or operator
account) and counts; a dead letter is its offset, message id, topics, consumer, time and the *kind* of its error
(``processing: IntegrityError``), never its payload nor the error's text, which may quote a stored value."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from services.collection.api.deps import Connection, Supervisor, audit
from shared.dead_letters import DEAD_LETTER_TOPICS, DeadLetter, read_dead_letters, replay, select
from shared.ingest.history import read_import_history

router = APIRouter(prefix="/operations", tags=["operations"])
#: Seconds a topic may take to be read to its end before the call answers 503 (below the console's 10 s wait for an
#: API, so the officer is told why rather than shown a timeout).
READ_TIMEOUT = 8.0


class ImportView(BaseModel):
    source_system: str = Field(description="tax, insurance, childcare, housing, water")
    file_name: str
    submitted_by: str | None = Field(description="The department system or operator account that sent it")
    accepted_total: int = Field(description="Records the file held that were valid")
    rejected_total: int = Field(description="Records rejected (listed in the rejection report and quarantine)")
    accepted_done: int = Field(description="Valid records published so far")
    rejected_done: int
    completed: bool
    updated_at: datetime


class DeadLetterView(BaseModel):
    topic: str
    offset: int
    message_id: str
    source_topic: str = Field(description="Where it came from: a replay sends it back there")
    consumer: str | None
    failed_at: datetime | None
    error_kind: str = Field(description="contract or processing, and the error's class; never its text")


class DeadLetterPage(BaseModel):
    topic: str
    topics: list[str] = Field(description="Every service's dead-letter topic")
    items: list[DeadLetterView]


class Replay(BaseModel):
    topic: str = Field(description="The dead-letter topic")
    offsets: list[int] = Field(min_length=1, max_length=500, description="The dead letters to send back")


class Replayed(BaseModel):
    topic: str
    replayed: int


def error_kind(error: str) -> str:
    """``processing: ValueError: <text>`` → ``processing: ValueError``: the text may quote a stored value."""
    parts = [p.strip() for p in error.split(":", 2)]
    return ": ".join(p for p in parts[:2] if p) or "unknown"


def _view(letter: DeadLetter) -> DeadLetterView:
    failed = letter.headers.get("dlq-failed-at")
    try:
        failed_at = datetime.fromisoformat(failed) if failed else None
    except ValueError:
        failed_at = None
    return DeadLetterView(topic=letter.topic, offset=letter.offset, message_id=letter.message_id,
                          source_topic=letter.source_topic, consumer=letter.headers.get("dlq-consumer"),
                          failed_at=failed_at, error_kind=error_kind(letter.error))


def _known(topic: str) -> str:
    if topic not in DEAD_LETTER_TOPICS:
        raise HTTPException(422, f"topic: {topic!r} is not a dead-letter topic ({', '.join(DEAD_LETTER_TOPICS)})")
    return topic


@router.get("/imports", response_model=list[ImportView],
            summary="Import history: each department export's last progress, newest first")
async def import_history(request: Request, conn: Connection, staff: Supervisor,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[ImportView]:
    try:
        history = await read_import_history(request.app.state.settings.kafka_bootstrap_servers, READ_TIMEOUT)
    except TimeoutError as exc:
        raise HTTPException(503, f"import history: {exc}") from None
    await audit(conn, staff, "read_import_history", "operations:imports", imports=min(len(history), limit))
    return [ImportView(**{k: getattr(r, k) for k in ImportView.model_fields}) for r in history[:limit]]


@router.get("/dead-letters", response_model=DeadLetterPage,
            summary="A service's dead letters (no payload, the error's kind only), oldest first")
async def dead_letters(request: Request, conn: Connection, staff: Supervisor,
                       topic: Annotated[str, Query(max_length=100)] = DEAD_LETTER_TOPICS[0]) -> DeadLetterPage:
    try:
        letters = await read_dead_letters(request.app.state.settings.kafka_bootstrap_servers, _known(topic),
                                          READ_TIMEOUT)
    except TimeoutError as exc:
        raise HTTPException(503, f"dead letters: {exc}") from None
    await audit(conn, staff, "read_dead_letters", f"topic:{topic}", letters=len(letters))
    return DeadLetterPage(topic=topic, topics=list(DEAD_LETTER_TOPICS), items=[_view(d) for d in letters])


@router.post("/dead-letters/replay", response_model=Replayed,
             summary="Send dead letters back to the topic they came from, unchanged (after the cause was fixed)")
async def replay_dead_letters(request: Request, conn: Connection, staff: Supervisor, body: Replay) -> Replayed:
    bootstrap = request.app.state.settings.kafka_bootstrap_servers
    try:
        letters = select(await read_dead_letters(bootstrap, _known(body.topic), READ_TIMEOUT), offsets=body.offsets)
    except TimeoutError as exc:
        raise HTTPException(503, f"dead letters: {exc}") from None
    missing = sorted(set(body.offsets) - {d.offset for d in letters})
    if missing:
        raise HTTPException(404, f"offsets: no dead letter at {missing} of {body.topic}")
    sent = await replay(bootstrap, letters)
    await audit(conn, staff, "replay_dead_letters", f"topic:{body.topic}", offsets=sorted(body.offsets), sent=sent)
    return Replayed(topic=body.topic, replayed=sent)
