"""The city's letterhead (``Issuer``) and payment-slip codes, read from versioned data so every service that prints
(collection for staff, the lawyer gateway for firms) prints the same city. ``DOCUMENTS_ISSUER_PATH`` names
another file; the shipped one is a sample city's."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from shared.documents.models import Issuer, refusal_reason

DEFAULT_PATH = Path(__file__).with_name("templates") / "issuer.json"


@dataclass(frozen=True)
class Letterhead:
    issuer: Issuer
    company_code: str  # 収納企業コード of the convenience-store barcode
    number_prefix: str  # 文書番号の記号, e.g. 債管 in 6債管第123号
    version: str


@cache
def load_letterhead(path: str | None = None) -> Letterhead:
    """The letterhead from ``path``, ``DOCUMENTS_ISSUER_PATH`` or the shipped sample; a wrong file is an error
    naming the field."""
    source = Path(path or os.environ.get("DOCUMENTS_ISSUER_PATH") or DEFAULT_PATH)
    data = json.loads(source.read_text(encoding="utf-8"))
    try:
        issuer = Issuer(**{k: data[k] for k in ("city_name", "city_code", "authority", "office", "phone",
                                                 "payment_account")},
                        office_address=data.get("office_address"), hours=data.get("hours"),
                        prefecture=data.get("prefecture"), seal=data.get("seal", "omitted"))
        return Letterhead(issuer, str(data["company_code"]), str(data["number_prefix"]), str(data["version"]))
    except KeyError as missing:
        raise ValueError(f"{source}: {missing.args[0]} is missing") from None
    except ValidationError as invalid:  # e.g. seal neither "omitted" nor "impressed"
        raise ValueError(f"{source} (DOCUMENTS_ISSUER_PATH): {refusal_reason(invalid)}") from None
