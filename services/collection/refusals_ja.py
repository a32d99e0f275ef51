"""The legal check's refusals in Japanese, for the officers' screens (issue 24). Pure.

workflow.check_action words each refusal in English with the Japanese terms and the statute, for systems and
logs; an officer reads Japanese. Each refusal has a stable code (the step of the check that refused, or the
prerequisite that failed: ``Refusal.code``); this module writes the sentence an officer reads for that code from
the facts the check found (dates in 和暦, yen), and keeps every statute the English names (地方税法331条1項1号 …)
at its end, so the law behind the refusal stays named. A code it does not know still gets the action's name and
the statutes, never a blank.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from contracts import LegalCategory
from shared.japanese_dates import to_wareki

CATEGORY_JA: Mapping[str, str] = {LegalCategory.FORCED_PUBLIC: "強制徴収公債権",
                                  LegalCategory.NON_FORCED_PUBLIC: "非強制徴収公債権", LegalCategory.PRIVATE: "私債権"}

#: A statute or case as the English reasons cite it: 地方税法331条1項1号, 地方自治法施行令171条の5, 最大判昭和41年2月23日.
_STATUTE = re.compile(r"最[大高]?判(?:明治|大正|昭和|平成|令和)[0-9]+年[0-9]+月[0-9]+日"
                      r"|[一-龥ぁ-んァ-ヶー]*(?:法|令|規則)(?:施行令)?[0-9０-９]+条[0-9０-９条の項号第]*")


def statutes(english: str) -> list[str]:
    """The statutes an English reason names, in order, each once."""
    found: list[str] = []
    for match in _STATUTE.findall(english):
        if match not in found:
            found.append(match)
    return found


def _day(value: Any) -> str:
    if isinstance(value, date):
        return to_wareki(value)
    return str(value)


def _sentence(code: str, facts: Mapping[str, Any]) -> str:
    f = {k: _day(v) if isinstance(v, date) else v for k, v in facts.items()}
    label = f.get("label", "この処理")
    sentences: dict[str, str] = {
        "closed": "この債権は{closed_on}に{closed_by}で終了しており、以後は記録できません",
        "waived": "この債権は{closed_on}に消滅しています（{closed_by}）。記録できるのは{left}のみです",
        "category": "{label}は{category}には行えません",
        "extinguished": "この債権は時効等により消滅しており、徴収できません。記録できるのは{left}のみです",
        "settled": "未納額がありません（{open_total:,}円）。記録できるのは{left}のみです",
        "overdue": "納期限（{due_date}）を過ぎるまで滞納にならないため、{label}はできません",
        "demand_sent": "督促がまだ送付されていません。{label}の前に督促が必要です",
        "demand_not_yet_sent": "督促は1つの債権に1回です（{demand_on}に送付済み）。以後の請求は催告で行います",
        "principal_paid": "本税・本料は完納済みです。督促は本税・本料を請求するもので、残る延滞金は催告または納付書で請求します",
        "seizure_wait_over": "差押は{earliest}からできます（督促状を{demand_on}に発し、その日から起算して10日を経過した日まで"
                             "は完納できるため）",
        "property_seized": "差押の記録がないため、換価できません",
        "within_small_claims_limit": "少額訴訟は{limit:,}円以下の債権に限られます（この債権は{balance:,}円）。"
                                     "支払督促または訴訟を使ってください",
        "no_small_claims": "{on}には少額訴訟の制度がありません",
        "court_title": "強制執行には債務名義（確定判決または確定した支払督促）が必要ですが、この債権には記録がありません",
        "extinguished_needed": "不納欠損は消滅した債権の会計上の処理です。この債権は消滅していません",
        "basis_given": "債権放棄には議会の議決または債権管理条例の根拠が必要です。根拠（議決・条例の条項）を入力してください",
        "nothing_open": "まだ{open_total:,}円が未納です。完納は残高が0円になってから記録します",
        "prescription_completed": "援用は時効期間が満了した後にのみできます。この債権はまだ満了していません（時効欄を参照）",
        "seizure_open": "この債権に継続中の差押がないため、解除するものがありません",
        "seizure_on_record": "滞納処分費は滞納処分（差押）の費用ですが、差押の記録がありません",
        "welfare_hold": "福祉連携による保留中のため、督促・催告の強化や滞納処分は止めています（市の判断で、法定の猶予では"
                        "ありません。納付相談・分納・執行停止・徴収停止はできます）",
        "payment_in_transit": "{paid_on}に納付された{amount:,}円の収納速報があり、確報待ちです。確報が届くか{expected_by}を"
                              "過ぎるまで、督促・催告・処分は行いません",
        "measure": "{measure}（{since}から）が継続中のため、{label}はできません",
        # the 送付先 rule of the document API (api/documents.py): no notice leaves without a confirmed 送付先
        "mailing_address_unconfirmed": "送付先が確認されていません。{label}を発行する前に、送付先を選んで確認してください"
                                       "（部署ごとに住所が異なると、同じ日の通知が別々の住所に届くため）",
        "mailing_address_changed": "送付先は確認の後に変更されています（{set_at}に変更）。新しい送付先を確認してから"
                                   "{label}を発行してください",
    }
    template = sentences.get(code)
    if template is None:
        return f"{label}は今は記録できません"
    try:
        return template.format(**{"label": label, **f})
    except (KeyError, ValueError):
        return f"{label}は今は記録できません"


def japanese_refusal(code: str, english: str, facts: Mapping[str, Any]) -> str:
    """The refusal an officer reads: the sentence for ``code`` and the statutes the English names."""
    named = statutes(english)
    sentence = _sentence(code, facts)
    return f"{sentence}（根拠：{'、'.join(named)}）" if named else sentence
