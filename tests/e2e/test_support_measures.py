"""DV等支援措置 end to end on the running services: once a supervisor records the measure, the debtor view warns,
and the address disappears from everything that leaves the city — the case the firm holds (API and downloaded
file), the letters a firm would print, a bank inquiry (PDF text), the welfare referral (refused in staff's
words, absent from the webhook). Ending the measure puts the address back on the bank inquiry. Each check has
its positive control: the address is there before."""

from __future__ import annotations

import io
import uuid

import httpx
import pypdf
import pytest

from tests.e2e.processes import RunningService, eventually
from tests.e2e.test_lawyer_gateway import manage, new_client
from tests.e2e.test_lawyer_gateway import push_person as push_water_and_tax
from tests.e2e.test_lawyer_gateway import sign_in as firm_sign_in
from tests.e2e.welfare_receiver import WelfareReceiver
from tests.figures import report
from tests.infrastructure import Infrastructure

pytestmark = pytest.mark.e2e

#: How the departments recorded the person's place (tests/e2e/test_lawyer_gateway.push_person, number 1).
PLACE = ("元城町", "471-0024", "4710024", "16番地")


def places(text: str) -> list[str]:
    return [p for p in PLACE if p in text]


def pdf_text(content: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_a_protected_persons_address_stays_inside_the_city(
        services: dict[str, RunningService], infrastructure: Infrastructure, staff: dict[str, dict[str, str]],
        welfare_receiver: WelfareReceiver) -> None:
    collection = httpx.Client(base_url=services["collection"].url, timeout=30)
    gateway = httpx.Client(base_url=services["lawyer_gateway"].url, timeout=30)
    welfare = httpx.Client(base_url=services["welfare_referral"].url, timeout=30)
    viewer, collector, supervisor = staff["viewer"], staff["collector"], staff["supervisor"]
    tag = f"{uuid.uuid4().hex[:6]}v"
    water_person, _ = push_water_and_tax(services, tag, 1, with_tax=True)

    def debtor_with_case() -> dict | None:
        found = collection.post("/debtor-lookup", json={"department": "water", "source_person_id": water_person},
                                headers=viewer)
        if found.status_code != 200:
            return None
        view = collection.get(f"/debtors/{found.json()['debtor_ids'][0]}", headers=viewer).json()
        return view if view["case"] and len(view["claims"]) == 2 else None

    debtor = eventually(debtor_with_case, what="the person's two claims in one case")
    debtor_id, case_id = debtor["debtor_id"], str(debtor["case"]["case_id"])
    assert debtor["support_measure"]["active"] is False and debtor["support_measure"]["warning"] is None
    manage(infrastructure, "firms", "add", "lawyer_team_b", "--name", "あおば法律事務所")
    client_id, secret = new_client(infrastructure, "lawyer_team_b", f"dv-{tag}")
    assert collection.post(f"/cases/{case_id}/override", headers=supervisor, json={
        "holder_kind": "lawyer_team", "holder_code": "lawyer_team_b", "reason": "支援措置の試験"}).status_code == 200
    firm = firm_sign_in(gateway, client_id, secret)
    before = eventually(lambda: (r := gateway.get(f"/cases/{case_id}", headers=firm)).status_code == 200 and r.json(),
                        what="the case at the firm")
    assert places(before["contact"]["address"] + before["contact"]["postal_code"])  # positive control
    bank = {"name": "豊田信用金庫 本店", "postal_code": "471-0025", "address": "愛知県豊田市西町1丁目200番地"}
    inquiry = {"kind": "asset_inquiry", "debtor_id": debtor_id, "institution": bank}
    plain = collection.post("/documents/preview", headers=collector, json=inquiry)
    assert plain.status_code == 200 and places(pdf_text(plain.content)), plain.text[:200]  # positive control

    # a collector may not record it; a supervisor records it with a reason, and the debtor view warns
    body = {"reason": "市民課から支援措置決定の通知（申出受付）"}
    assert collection.put(f"/debtors/{debtor_id}/support-measure", headers=collector, json=body).status_code == 403
    recorded = collection.put(f"/debtors/{debtor_id}/support-measure", headers=supervisor, json=body)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["active"] and len(recorded.json()["records"]) == 2
    view = collection.get(f"/debtors/{debtor_id}", headers=viewer).json()
    assert view["support_measure"]["active"] and "DV等支援措置" in view["support_measure"]["warning"]

    tried: list[str] = []
    leaked: list[str] = []
    # the firm: the case, its list and the downloaded file lose the address; a letter the firm prints is refused
    after = eventually(lambda: (c := gateway.get(f"/cases/{case_id}", headers=firm).json())["contact"][
        "address_withheld"] and c, what="the firm's case without the address")
    assert after["contact"]["address"] is None and after["contact"]["name_kanji"]
    for label, response in (("case", gateway.get(f"/cases/{case_id}", headers=firm)),
                            ("case list", gateway.get("/cases", headers=firm, params={"limit": 50})),
                            ("case file", gateway.get(f"/cases/{case_id}/file", headers=firm))):
        assert response.status_code == 200, response.text
        tried.append(label)
        leaked += [f"{label}: {p}" for p in places(response.text)]
    letter = gateway.get(f"/cases/{case_id}/documents/reminder.pdf", headers=firm)
    assert letter.status_code == 409 and "DV等支援措置" in letter.json()["detail"]
    tried.append("firm's reminder")

    # the bank: the inquiry names the person and says why the address is left out
    withheld = collection.post("/documents/preview", headers=collector, json=inquiry)
    assert withheld.status_code == 200, withheld.text
    text = pdf_text(withheld.content)
    assert "支援措置対象者のため記載を省略します" in text
    tried.append("asset inquiry")
    leaked += [f"asset inquiry: {p}" for p in places(text)]

    # welfare: staff cannot type the address into a referral; what is sent carries none
    eventually(lambda: (s := welfare.get(f"/standings/{debtor_id}", headers=collector)).status_code == 200
               and s.json()["address_protected"], what="welfare knows the measure applies")
    opened = welfare.post("/referrals", headers=collector, json={"debtor_id": debtor_id, "reason": "本人から相談"})
    assert opened.status_code == 201, opened.text
    referral = opened.json()["referral_id"]
    for step in ({"kind": "inform"}, {"kind": "record_consent", "scope": ["contact"]}):
        assert welfare.post(f"/referrals/{referral}/events", headers=collector, json=step).status_code == 200
    refused = welfare.post(f"/referrals/{referral}/events", headers=collector, json={
        "kind": "refer", "details": {"contact": "豊田市元城町3丁目16番地11号 携帯090-2718-2818"}})
    assert refused.status_code == 422 and "DV等支援措置" in refused.json()["detail"], refused.text
    assert not places(refused.text)
    referred = welfare.post(f"/referrals/{referral}/events", headers=collector, json={
        "kind": "refer", "details": {"contact": "携帯090-2718-2818 平日17時以降"}})
    assert referred.status_code == 200, referred.text
    delivered = eventually(lambda: [r for r in welfare_receiver.for_referral(referral) if r.status == 200],
                           what="the referral delivered")
    assert delivered[0].body["contact"] == "携帯090-2718-2818 平日17時以降"
    tried.append("welfare webhook")
    leaked += [f"welfare webhook: {p}" for p in places(delivered[0].raw.decode())]

    report(f"security support measure (DV等支援措置): {len(tried)} outgoing views and documents read, "
           f"{len(leaked)} carried the address")
    assert leaked == []

    # the measure ends (the referral's hold has taken the case back from the firm by now): the bank inquiry
    # carries the address again and the warning goes
    ended = collection.post(f"/debtors/{debtor_id}/support-measure/end", headers=supervisor,
                            json={"reason": "措置期間満了（延長の申出なし）"})
    assert ended.status_code == 200 and not ended.json()["active"]
    assert collection.get(f"/debtors/{debtor_id}", headers=viewer).json()["support_measure"]["warning"] is None
    again = collection.post("/documents/preview", headers=collector, json=inquiry)
    assert again.status_code == 200 and places(pdf_text(again.content))
