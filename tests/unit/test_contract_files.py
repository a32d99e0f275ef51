"""The committed JSON Schemas and AsyncAPI document must be what the models generate."""

import json

import jsonschema

from contracts.envelope import encode_message
from contracts.export import ASYNCAPI, SCHEMA_DIR, drift
from contracts.topics import ALL_TOPICS
from tests.unit.test_contracts import claim, wrap


def test_committed_contract_files_match_the_models() -> None:
    assert drift() == [], "run: python -m contracts.export"


def test_a_real_message_validates_against_its_committed_schema() -> None:
    schema = json.loads((SCHEMA_DIR / "ClaimAssessed.v3.json").read_text(encoding="utf-8"))
    message = json.loads(encode_message(wrap(claim())))
    jsonschema.validate(message, schema)
    message["payload"]["amount"] = -1
    try:
        jsonschema.validate(message, schema)
    except jsonschema.ValidationError as exc:
        assert list(exc.absolute_path) == ["payload", "amount"]
    else:
        raise AssertionError("a negative amount passed the committed schema")


def test_asyncapi_lists_every_declared_topic() -> None:
    document = json.loads(ASYNCAPI.read_text(encoding="utf-8"))
    assert document["asyncapi"].startswith("3.")
    assert {c["address"] for c in document["channels"].values()} == {t.name for t in ALL_TOPICS}
