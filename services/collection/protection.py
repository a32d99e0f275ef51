"""DV等支援措置 (住民基本台帳事務における支援措置): what a protected person's records may show, and to whom.

The resident register restricts who may learn the address of a victim of domestic violence, stalking, child
abuse or similar (住民基本台帳法12条6項・20条5項 and 総務省's 事務処理要領). A collection office holds that address in
its departmental records and must not let it travel: not to an outsourced firm (case, case file, a letter the
firm prints), not to a bank or employer (財産調査), not to the welfare system's webhook. Letters the city itself
mails to the person are allowed: the address is the person's own. Pure functions; the stores say who is protected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts import OutsourcedContact

#: Printed where the address would be, on anything that leaves the city.
WITHHELD = "支援措置対象者のため住所の記載を省略します（住民基本台帳事務における支援措置）"

#: Shown to staff on the debtor, above everything else.
STAFF_WARNING = ("DV等支援措置の対象者です。住所・居所を外部（委託先弁護士、裁判所、金融機関・勤務先への照会、"
                 "福祉への送信、電話での問合せ）に伝えないでください。郵送は市から本人あてに限ります。")


def contact_for_firm(person: Mapping[str, Any], *, address_protected: bool) -> OutsourcedContact:
    """The debtor as an outsourced firm may see them: name and phone always, the address only when no support
    measure applies."""
    fields = {k: person.get(k) for k in ("name_kanji", "name_kana", "postal_code", "address", "phone")}
    if address_protected:
        return OutsourcedContact(**{**fields, "postal_code": None, "address": None}, address_withheld=True)
    return OutsourcedContact(**fields)
