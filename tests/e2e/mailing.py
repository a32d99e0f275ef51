"""送付先 for end-to-end tests: collection issues a 督促状 or 催告書 only to a debtor whose 送付先 staff have chosen
and confirmed (services/collection/api/documents.py), so a test that issues one confirms it first, as an officer
or a department's system must, and forgets only what it set itself."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpx


@contextmanager
def confirmed_mailing_addresses(api: httpx.Client, collector: dict[str, str], debtor_ids: Iterable[str],
                                reason: str = "試験：部署の記録の住所を確認") -> Iterator[dict[str, dict]]:  # type: ignore[type-arg]
    """Choose each debtor's 送付先 from the first address a department recorded (kept when one is chosen
    already); yields each debtor's chosen 送付先; forgets on exit the ones it chose."""
    chosen, mine = {}, []
    try:
        for debtor_id in dict.fromkeys(debtor_ids):
            url = f"/debtors/{debtor_id}/mailing-address"
            current = api.get(url, headers=collector)
            assert current.status_code == 200, current.text
            if current.json()["chosen"] is None:
                department = current.json()["recorded"][0]["departments"][0]
                put = api.put(url, headers=collector, json={"from_department": department, "reason": reason})
                assert put.status_code == 200, put.text
                mine.append(debtor_id)
                current = put
            chosen[debtor_id] = current.json()["chosen"]
        yield chosen
    finally:
        for debtor_id in mine:
            api.delete(f"/debtors/{debtor_id}/mailing-address", headers=collector)
