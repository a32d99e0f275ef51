"""Prescription (時効) of one claim: when its period completes, whether and when it is extinguished, and why.

Staff must act before a claim prescribes: a public claim (公債権) is extinguished at the end of its period without
the debtor doing anything (援用不要, 地方自治法236条2項 / 地方税法18条2項), so collecting it afterwards is unlawful;
a private claim (私債権) is extinguished only when the debtor invokes prescription (援用, 民法145条). The periods
and their statutes are versioned data in ``policy/prescription.v1.json`` (``load_prescription_table``): per legal
category, and per receivable where the law differs (介護保険料 and 後期高齢者医療保険料 are levied as 料: 2 years;
国民健康保険税 is a tax: 5 years; private claims that arose before 2020-04-01 keep the old Civil Code's periods,
e.g. 上水道料金 2 years under 旧民法173条). Pure: the only I/O is reading that file.

Counting (民法140条・143条). The period starts on the day after the due date (起算日: 納期限の翌日). A period of N
years or months ends on the day before the day of the last year or month that corresponds to the start day; when
that month has no such day, at the end of that month. So due 2024-05-31 → starts 2024-06-01 → 5 years complete at
the end of 2029-05-31; due 2024-02-29 → starts 2024-03-01 → ends 2029-02-28; due 2023-02-28 → starts 2023-03-01 →
ends 2028-02-29 (not "due date + 5 years", which would give 2028-02-28). ``completes_on`` is that last day: the
claim is extinguished (or, for a private claim, open to invocation) from the day after.

Events (``PrescriptionEvent``), applied in date order (events on the same day in the order given):
- ``payment``, ``installment_pledge`` (分納誓約): acknowledgement (承認, 民法152条) renews: a new period of the same
  length starts the next day.
- ``demand_notice`` (督促): for a public claim the first one renews (地方自治法236条4項; 介護保険法200条2項 etc.);
  for taxes the new period starts only after the day on which 10 days counted from the sending date have passed
  (地方税法18条の2第1項2号: sent 2024-06-20 → new period from 2024-07-01). For a private claim a 督促 is a 催告.
- ``reminder`` (催告 in writing): completion cannot happen until 6 months after it (民法150条1項); a second 催告
  while that suspension runs does nothing (同条2項).
- ``seizure`` (差押) suspends completion while the seizure lasts and ``seizure_ended`` (解除, or 換価 and 配当
  completed) renews: a new period starts the day after it ends (民法148条1項・2項, applied by 地方自治法236条3項 /
  地方税法18条3項); several seizures count until the last one ends; ``court_filing`` (訴訟・支払督促) suspends completion while pending; ``judgment`` (the
  judgment, or a 支払督促 with 仮執行宣言, became final) renews and makes the period 10 years (民法147条2項・169条1項);
  ``court_ended`` (取下げ・却下 without a judgment) suspends completion until 6 months after (民法147条1項).
- ``exemption_of_execution`` (滞納処分の執行停止, forced-collection public claims only): the liability is extinguished
  once the suspension has continued 3 years (地方税法15条の7第4項) unless ``exemption_revoked`` (15条の8) comes
  first; prescription keeps running meanwhile, and whichever comes first extinguishes the claim.
- ``invocation`` (援用): extinguishes a private claim on that date if its period has completed; nothing otherwise.
Events on or before the due date do nothing (the period has not started). After a public claim is extinguished no
event changes anything (a later payment is refunded as 過誤納金). After a private claim's period completes, an
acknowledgement bars the debtor from invoking that completion and starts a new period (最大判昭和41年4月20日,
最判昭和45年5月21日); a final judgment also renews; other events do nothing.

Simplifications, all stated in the explanation where they apply:
- A seizure cancelled for a defect (取消し: 民法148条2項 ただし書, only 6 months' suspension) is not told apart from
  one that ended normally: both renew when recorded as ended.
- The date of a 督促 is taken as its effective date; in law it takes effect when it reaches the debtor (and for
  taxes the statute counts from the sending date), so again the model errs early at most.
- Only the first 督促 of a public claim counts; some practice treats later ones as 催告, which is ignored here so
  staff are never told a public claim is alive when it might not be.
- Events follow the current Civil Code whatever their date. Before 2020-04-01 a 催告 counted only if court action
  followed within 6 months (旧民法153条); that difference is not modelled.
- A court proceeding pending without a recorded end has no completion date (``completes_on`` is None).
- ``extinguished_on`` for an invocation is the invocation date, from which the claim cannot be collected; in law
  the effect goes back to the start of the period (民法144条), which matters for late charges, not for this date.
- 即時消滅 (地方税法15条の7第5項), 協議 (民法151条) and the 10-year limit from when the right could be exercised
  (民法166条1項2号, never earlier for a bill) are not modelled.

Which date chooses the old or the new Civil Code. A claim that arose before 2020-04-01 keeps the old law, and so
does one that arose later from a legal act made before (民法改正法附則10条1項: a water bill under a supply
contract concluded before the reform). The table's ``arising_date`` names, per receivable, which date decides:
``contract`` (the supply contract's date, ``PrescriptionClaim.contract_on``) with the city's stated fallback
when a claim carries none (``assessed_on``, or ``refuse``: the claim gets no rule and the view says why);
receivables not named use ``arose_on``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.enums import LegalCategory
from contracts.receivables import RECEIVABLES
from services.collection.legal_actions import spec_of

DEFAULT_TABLE_PATH = Path(__file__).parent / "policy" / "prescription.v1.json"

EventKind = Literal[
    "payment",  # 一部納付: acknowledgement (承認)
    "installment_pledge",  # 分納誓約: acknowledgement (承認)
    "demand_notice",  # 督促
    "reminder",  # 催告 in writing
    "seizure",  # 差押
    "seizure_ended",  # 差押の終了 (解除, 換価・配当の完了)
    "court_filing",  # 訴訟・支払督促の申立て
    "judgment",  # 判決・仮執行宣言付支払督促の確定
    "court_ended",  # 取下げ・却下: ended without a final judgment
    "exemption_of_execution",  # 滞納処分の執行停止 (地方税法15条の7)
    "exemption_revoked",  # 執行停止の取消 (地方税法15条の8)
    "invocation",  # 援用 by the debtor
]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
ExtinguishedBy = Literal["prescription", "invocation", "exemption_of_execution"]

_ACKNOWLEDGEMENTS = frozenset({"payment", "installment_pledge"})
_REQUIRED_CITATIONS = frozenset({
    "start", "acknowledgement", "demand_notice", "reminder", "seizure", "court_filing", "judgment", "court_ended",
    "invocation", "completion", "after_completion",
})
_EXEMPTION_CITATIONS = frozenset({"exemption_of_execution", "exemption_revoked"})


# --- the table -----------------------------------------------------------------------------------------------


class Period(BaseModel):
    """A length in years and months (民法143条 counts both by the calendar)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    years: int = Field(default=0, ge=0)
    months: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _positive(self) -> Period:
        if self.total_months == 0:
            raise ValueError("period: must be at least one month")
        return self

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    def __str__(self) -> str:
        return _describe_months(self.total_months)


class Regime(BaseModel):
    """How events act on a claim under one body of law (公債権, the Civil Code, the old Civil Code)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1)
    demand_notice: Literal["renews_first", "reminder"]
    reminder_suspension: Period
    court_ended_suspension: Period
    judgment_period: Period
    execution_exemption: Period | None = None
    citations: dict[str, str]

    @model_validator(mode="after")
    def _citations_complete(self) -> Regime:
        required = _REQUIRED_CITATIONS | (_EXEMPTION_CITATIONS if self.execution_exemption else frozenset())
        missing = sorted(required - self.citations.keys())
        unknown = sorted(self.citations.keys() - required)
        if missing:
            raise ValueError(f"citations: missing {', '.join(missing)}")
        if unknown:
            raise ValueError(f"citations: unknown {', '.join(unknown)}")
        return self


class Entry(BaseModel):
    """One period: for which receivables (or a whole category) and claims arising when, and under what law."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    receivables: tuple[str, ...] | None = None  # None: every receivable of the categories
    legal_categories: tuple[LegalCategory, ...] = Field(min_length=1)
    arose_on_or_after: date | None = None
    arose_before: date | None = None
    period: Period
    invocation_required: bool
    regime: str
    statute: str = Field(min_length=1)
    demand_notice_delay_days: int = Field(default=0, ge=0)
    citations: dict[str, str] = Field(default_factory=dict)
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Entry:
        if self.receivables is not None:
            unknown = [code for code in self.receivables if code not in RECEIVABLES]
            if unknown or not self.receivables:
                raise ValueError(f"receivables: {self.id}: unknown receivable type(s) {unknown or '(empty list)'}")
        if self.arose_on_or_after and self.arose_before and self.arose_on_or_after >= self.arose_before:
            raise ValueError(f"arose_before: {self.id}: must be after arose_on_or_after")
        unknown_citations = sorted(self.citations.keys() - _REQUIRED_CITATIONS - _EXEMPTION_CITATIONS)
        if unknown_citations:
            raise ValueError(f"citations: {self.id}: unknown {', '.join(unknown_citations)}")
        return self

    def covers(self, receivable_type: str, category: LegalCategory, arose_on: date) -> bool:
        return ((self.receivables is None or receivable_type in self.receivables)
                and category in self.legal_categories
                and (self.arose_on_or_after is None or arose_on >= self.arose_on_or_after)
                and (self.arose_before is None or arose_on < self.arose_before))


class ArisingDate(BaseModel):
    """Which date chooses a receivable's rule (民法改正法附則10条1項): the contract's, else the stated fallback."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    basis: Literal["contract"]
    without_contract: Literal["assessed_on", "refuse"]
    rule: str = Field(min_length=1, description="The city's stated rule in words")


class PrescriptionTable(BaseModel):
    """The versioned table of periods; validated so that every claim finds at most one entry at each level."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    description: str = ""
    regimes: dict[str, Regime]
    entries: tuple[Entry, ...] = Field(min_length=1)
    arising_date: dict[str, ArisingDate] = Field(default_factory=dict)

    def arising_on(self, claim: PrescriptionClaim) -> date:
        """The date that chooses the claim's rule; ValueError when the city refuses to guess it."""
        rule = self.arising_date.get(claim.receivable_type)
        if rule is None:
            return claim.arose_on
        if claim.contract_on is not None:
            return claim.contract_on
        if rule.without_contract == "assessed_on":
            return claim.arose_on
        raise ValueError(f"contract_on: claim {claim.claim_id} ({claim.receivable_type}) carries no supply contract "
                         f"date and {self.version} refuses to guess it ({rule.rule})")

    @model_validator(mode="after")
    def _unambiguous(self) -> PrescriptionTable:
        unknown = sorted(code for code in self.arising_date if code not in RECEIVABLES)
        if unknown:
            raise ValueError(f"arising_date: unknown receivable type(s) {unknown}")
        seen: set[str] = set()
        for entry in self.entries:
            if entry.id in seen:
                raise ValueError(f"entries: id {entry.id!r} appears more than once")
            seen.add(entry.id)
            if entry.regime not in self.regimes:
                raise ValueError(f"regime: {entry.id}: unknown regime {entry.regime!r}")
        for i, a in enumerate(self.entries):
            for b in self.entries[i + 1:]:
                if _overlap(a, b):
                    raise ValueError(f"entries: {a.id} and {b.id} both cover the same receivable, category and dates")
        return self

    def rule_for(self, receivable_type: str, category: LegalCategory, arose_on: date) -> Entry:
        """The receivable's own entry if any, else its category's; ValueError when the table has none."""
        matches = [e for e in self.entries if e.covers(receivable_type, category, arose_on)]
        specific = [e for e in matches if e.receivables is not None]
        chosen = specific or matches
        if not chosen:
            raise ValueError(f"receivable_type: {self.version} has no prescription rule for {receivable_type!r} as "
                             f"{category.value} arising on {arose_on.isoformat()}; add an entry for it")
        return chosen[0]


def _overlap(a: Entry, b: Entry) -> bool:
    if (a.receivables is None) != (b.receivables is None):
        return False  # a receivable's own entry wins over its category's: not ambiguous
    if a.receivables is not None and b.receivables is not None and not set(a.receivables) & set(b.receivables):
        return False
    if not set(a.legal_categories) & set(b.legal_categories):
        return False
    a_start, b_start = a.arose_on_or_after or date.min, b.arose_on_or_after or date.min
    a_end, b_end = a.arose_before or date.max, b.arose_before or date.max
    return a_start < b_end and b_start < a_end


def load_prescription_table(path: Path | None = None) -> PrescriptionTable:
    """The table in ``path``, by default the packaged ``policy/prescription.v1.json``."""
    source = Path(path) if path is not None else DEFAULT_TABLE_PATH
    return PrescriptionTable.model_validate_json(source.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_prescription_table() -> PrescriptionTable:
    """The packaged table, read once (the model is frozen, so sharing it is safe)."""
    return load_prescription_table()


# --- dates ---------------------------------------------------------------------------------------------------


def period_last_day(start: date, *, years: int = 0, months: int = 0) -> date:
    """The last day of a period that starts on ``start`` (its first counted day), by 民法143条.

    The period ends the day before the corresponding day of the last month; when that month has no corresponding
    day (start on the 29th-31st), at the end of that month.
    """
    total = years * 12 + months
    if total <= 0:
        raise ValueError("months: a period must be at least one month")
    index = start.month - 1 + total
    year, month = start.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return date(year, month, last)
    return date(year, month, start.day) - timedelta(days=1)


def _describe_months(total: int) -> str:
    years, months = divmod(total, 12)
    parts = [f"{years} year{'s' if years != 1 else ''}"] if years else []
    if months:
        parts.append(f"{months} month{'s' if months != 1 else ''}")
    return " ".join(parts)


def _check_date(value: object, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{field}: must be a calendar date, got {value!r}")
    return value


# --- claims, events, state -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrescriptionClaim:
    """The facts of a claim prescription depends on. ``arose_on`` (the assessed date) chooses pre/post-2020 rules;
    ``legal_category`` is the city's decision for the receivable (``contracts.receivables.legal_category``)."""

    claim_id: str
    receivable_type: str
    legal_category: LegalCategory
    due_date: date
    arose_on: date
    contract_on: date | None = None  # the supply contract's date, where the table says it decides

    def __post_init__(self) -> None:
        if self.receivable_type not in RECEIVABLES:
            raise ValueError(f"receivable_type: unknown receivable type {self.receivable_type!r}")
        try:
            category = LegalCategory(self.legal_category)
        except ValueError:
            raise ValueError(f"legal_category: {self.legal_category!r} is not one of "
                             f"{', '.join(c.value for c in LegalCategory)}") from None
        object.__setattr__(self, "legal_category", category)
        _check_date(self.due_date, "due_date")
        _check_date(self.arose_on, "arose_on")
        if self.contract_on is not None:
            _check_date(self.contract_on, "contract_on")


@dataclass(frozen=True, slots=True)
class PrescriptionEvent:
    """Something that happened to the claim on a calendar date (see the module docstring for each kind)."""

    on: date
    kind: EventKind

    def __post_init__(self) -> None:
        _check_date(self.on, "on")
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"kind: {self.kind!r} is not one of {', '.join(EVENT_KINDS)}")


@dataclass(frozen=True)
class PrescriptionState:
    """Where a claim stands as of ``as_of``, with each step explained and its statute named."""

    claim_id: str
    rule_id: str  # the table entry applied
    table_version: str
    as_of: date
    period_starts_on: date  # first day of the period now running
    completes_on: date | None  # last day of the period; None while a court proceeding is pending
    extinguished_on: date | None  # None: not extinguished as of ``as_of``
    extinguished_by: ExtinguishedBy | None
    needs_invocation: bool  # a private claim: extinguished only when the debtor invokes it (援用)
    exemption_extinguishes_on: date | None  # the 3-year 執行停止 date while the suspension continues
    explanation: list[str]

    def alert_on(self, days_before: int) -> date | None:
        """When staff should be warned: ``days_before`` the earlier of completion and the 3-year 執行停止 date.

        None when the claim is already extinguished, or nothing is due to happen (a court case is pending and no
        執行停止 runs). The date may be in the past (e.g. a private claim completed but not invoked: act now).
        """
        if isinstance(days_before, bool) or not isinstance(days_before, int) or days_before < 0:
            raise ValueError(f"days_before: must be a non-negative whole number of days, got {days_before!r}")
        if self.extinguished_on is not None:
            return None
        candidates = [d for d in (self.completes_on, self.exemption_extinguishes_on) if d is not None]
        return min(candidates) - timedelta(days=days_before) if candidates else None


# --- the computation -----------------------------------------------------------------------------------------


def _iso(day: date) -> str:
    return day.isoformat()


class _Run:
    """The state while events are applied in order; one instance per call."""

    def __init__(self, claim: PrescriptionClaim, entry: Entry, regime: Regime) -> None:
        self.claim, self.entry, self.regime = claim, entry, regime
        self.public = claim.legal_category is not LegalCategory.PRIVATE
        self.citations = {**regime.citations, **entry.citations}
        self.months = entry.period.total_months
        self.start = claim.due_date + timedelta(days=1)
        self.suspended_until: date | None = None  # completion cannot happen before the end of this day
        self.reminder_until: date | None = None  # end of the running 催告 suspension (民法150条2項)
        self.pending_since: date | None = None  # a court proceeding is pending
        self.seizures_open = 0  # seizures not yet ended (民法148条1項: completion suspended meanwhile)
        self.demand_used = False
        self.exemption_since: date | None = None
        self.exemption_ends: date | None = None
        self.extinguished: tuple[date, ExtinguishedBy] | None = None
        self.lines: list[str] = []

    @property
    def period_end(self) -> date:
        return period_last_day(self.start, months=self.months)

    @property
    def completes_on(self) -> date | None:
        if self.pending_since is not None or self.seizures_open:
            return None
        if self.suspended_until is not None and self.suspended_until > self.period_end:
            return self.suspended_until
        return self.period_end

    def _period_text(self) -> str:
        return f"period {_iso(self.start)} … {_iso(self.period_end)}"

    def _completion_text(self) -> str:
        done = self.completes_on
        return (f"completes at the end of {_iso(done)}" if done
                else "no completion while the proceeding or seizure is pending")

    def begin(self) -> None:
        due = _iso(self.claim.due_date)
        self.lines.append(f"{_iso(self.start)} start: {self.entry.period} under {self.entry.statute}; "
                          f"{self.citations['start']} (due {due}); {self._period_text()}")

    def _renew(self, start: date, day: date, what: str, citation: str) -> None:
        # A later-starting period already running (the tax 督促's 10 days) is never cut short by another renewal.
        self.start = max(self.start, start)
        self.reminder_until = None
        self.lines.append(f"{_iso(day)} {what}: {citation}; new {self._period_text()}")

    def _extinction_before(self, day: date) -> tuple[date, ExtinguishedBy] | None:
        """The extinction that took effect before ``day`` (a claim dies at the end of its last day)."""
        if self.extinguished is not None:
            return self.extinguished
        found: list[tuple[date, ExtinguishedBy]] = []
        done = self.completes_on
        if self.public and done is not None and done < day:
            found.append((done, "prescription"))
        if self.exemption_ends is not None and self.exemption_ends < day:
            found.append((self.exemption_ends, "exemption_of_execution"))
        return min(found) if found else None

    def _extinguish(self, when: date, by: ExtinguishedBy) -> None:
        self.extinguished = (when, by)
        if by == "prescription":
            self.lines.append(f"{_iso(when)} end of the period: {self.citations['completion']}")
        elif by == "exemption_of_execution":
            self.lines.append(f"{_iso(when)} 執行停止 continued 3 years: the liability is extinguished "
                              f"(地方税法15条の7第4項)")

    def apply(self, event: PrescriptionEvent) -> None:
        day, kind = event.on, event.kind
        head = f"{_iso(day)} {kind}"
        if self.extinguished is None:
            earlier = self._extinction_before(day)
            if earlier is not None:
                self._extinguish(*earlier)
        if self.extinguished is not None:
            when, by = self.extinguished
            note = self.citations["after_completion"] if self.public else "nothing revives an invoked claim"
            self.lines.append(f"{head}: no effect, the claim was extinguished on {_iso(when)} ({by}); {note}")
            return
        if day <= self.claim.due_date:
            self.lines.append(f"{head}: no effect, on or before the due date the period has not started")
            return
        done = self.completes_on
        if done is not None and done < day:  # only a private claim gets here: completed, not invoked
            self._after_completion(day, kind, head, done)
            return
        getattr(self, f"_on_{kind}")(day, head)

    def _after_completion(self, day: date, kind: str, head: str, done: date) -> None:
        if kind == "invocation":
            self.extinguished = (day, "invocation")
            self.lines.append(f"{head}: {self.citations['invocation']} after the period completed on {_iso(done)}; "
                              f"the claim is extinguished")
        elif kind in _ACKNOWLEDGEMENTS:
            self.suspended_until = None
            self._renew(day + timedelta(days=1), day, kind, self.citations["after_completion"])
        elif kind == "judgment":
            self._on_judgment(day, head)
        else:
            self.lines.append(f"{head}: no effect, the period completed on {_iso(done)}; "
                              f"{self.citations['completion']}")

    def _on_payment(self, day: date, head: str) -> None:
        self._renew(day + timedelta(days=1), day, "payment", self.citations["acknowledgement"])

    def _on_installment_pledge(self, day: date, head: str) -> None:
        self._renew(day + timedelta(days=1), day, "installment_pledge", self.citations["acknowledgement"])

    def _on_demand_notice(self, day: date, head: str) -> None:
        if self.regime.demand_notice == "reminder":
            self._on_reminder(day, head, why=self.citations["demand_notice"])
            return
        if self.demand_used:
            self.lines.append(f"{head}: no effect, {self.citations['demand_notice']}, a later one does not; not "
                              f"counted as a 催告 either, to stay on the safe side")
            return
        self.demand_used = True
        start = day + timedelta(days=self.entry.demand_notice_delay_days + 1)
        self._renew(start, day, "demand_notice", self.citations["demand_notice"])

    def _on_reminder(self, day: date, head: str, why: str = "") -> None:
        head = f"{head}: {why};" if why else f"{head}:"
        if self.reminder_until is not None and day <= self.reminder_until:
            self.lines.append(f"{head} no effect, a second 催告 while the first one's suspension runs (until "
                              f"{_iso(self.reminder_until)}) does not suspend again (民法150条2項)")
            return
        until = period_last_day(day + timedelta(days=1), months=self.regime.reminder_suspension.total_months)
        self.reminder_until = until
        self.suspended_until = max(self.suspended_until or until, until)
        self.lines.append(f"{head} {self.citations['reminder']}: not before the end of {_iso(until)}; "
                          f"{self._completion_text()}")

    def _on_seizure(self, day: date, head: str) -> None:
        self.seizures_open += 1
        self.lines.append(f"{head}: {self.citations['seizure']}: completion is suspended while it lasts "
                          f"({self.seizures_open} seizure(s) open)")

    def _on_seizure_ended(self, day: date, head: str) -> None:
        if not self.seizures_open:
            self.lines.append(f"{head}: no effect, no seizure is open")
            return
        self.seizures_open -= 1
        if self.seizures_open:
            self.lines.append(f"{head}: {self.seizures_open} seizure(s) still open: completion stays suspended")
            return
        self.suspended_until = None
        self._renew(day + timedelta(days=1), day, "seizure_ended", self.citations["seizure"])

    def _on_court_filing(self, day: date, head: str) -> None:
        if self.pending_since is not None:
            self.lines.append(f"{head}: no further effect, a proceeding is pending since {_iso(self.pending_since)}")
            return
        self.pending_since = day
        self.lines.append(f"{head}: {self.citations['court_filing']}")

    def _on_judgment(self, day: date, head: str) -> None:
        self.pending_since = None
        self.suspended_until = None
        self.months = max(self.months, self.regime.judgment_period.total_months)
        self._renew(day + timedelta(days=1), day, "judgment", self.citations["judgment"])

    def _on_court_ended(self, day: date, head: str) -> None:
        if self.pending_since is None:
            self.lines.append(f"{head}: no effect, no court proceeding is pending")
            return
        self.pending_since = None
        until = period_last_day(day + timedelta(days=1), months=self.regime.court_ended_suspension.total_months)
        self.suspended_until = max(self.suspended_until or until, until)
        self.lines.append(f"{head}: {self.citations['court_ended']}: not before the end of {_iso(until)}; "
                          f"{self._completion_text()}")

    def _on_exemption_of_execution(self, day: date, head: str) -> None:
        if self.exemption_since is not None:
            self.lines.append(f"{head}: no further effect, 執行停止 continues since {_iso(self.exemption_since)}")
            return
        assert self.regime.execution_exemption is not None  # checked before the run
        self.exemption_since = day
        self.exemption_ends = period_last_day(day + timedelta(days=1),
                                              months=self.regime.execution_exemption.total_months)
        self.lines.append(f"{head}: {self.citations['exemption_of_execution']}; if it continues, extinguished at the "
                          f"end of {_iso(self.exemption_ends)}")

    def _on_exemption_revoked(self, day: date, head: str) -> None:
        if self.exemption_since is None:
            self.lines.append(f"{head}: no effect, no 執行停止 is running")
            return
        self.exemption_since = self.exemption_ends = None
        self.lines.append(f"{head}: {self.citations['exemption_revoked']}")

    def _on_invocation(self, day: date, head: str) -> None:
        if self.public:
            self.lines.append(f"{head}: no effect, {self.citations['invocation']}")
        else:
            self.lines.append(f"{head}: no effect, the period has not completed ({self._completion_text()}); "
                              f"{self.citations['invocation']} too early")

    def finish(self, as_of: date) -> None:
        if self.extinguished is None:
            earlier = self._extinction_before(as_of)
            if earlier is not None:
                self._extinguish(*earlier)
        if self.extinguished is not None:
            return
        done = self.completes_on
        if done is None and self.pending_since is not None:
            self.lines.append(f"as of {_iso(as_of)}: a court proceeding is pending since {_iso(self.pending_since)}; "
                              f"the claim cannot complete until it ends")
        elif done is None:
            self.lines.append(f"as of {_iso(as_of)}: a seizure is open; the claim cannot complete until it ends")
        elif done < as_of:  # private, completed, not invoked
            self.lines.append(f"as of {_iso(as_of)}: the period completed at the end of {_iso(done)}; "
                              f"{self.citations['completion']}")
        else:
            self.lines.append(f"as of {_iso(as_of)}: {self._completion_text()}")


def prescription(
    claim: PrescriptionClaim,
    events: Iterable[PrescriptionEvent],
    *,
    table: PrescriptionTable,
    as_of: date | None = None,
) -> PrescriptionState:
    """The claim's prescription given ``events``, as of ``as_of``.

    ``as_of`` defaults to the latest event's date (or the due date when there are none): the state the events so
    far establish. Events after ``as_of`` are listed in the explanation but not applied.
    """
    if not isinstance(claim, PrescriptionClaim):
        raise ValueError(f"claim: must be a PrescriptionClaim, got {type(claim).__name__}")
    ordered = sorted(_checked_events(events), key=lambda event: event.on)
    if as_of is not None:
        _check_date(as_of, "as_of")
    else:
        as_of = ordered[-1].on if ordered else claim.due_date
    entry = table.rule_for(claim.receivable_type, claim.legal_category, table.arising_on(claim))
    regime = table.regimes[entry.regime]
    exempting = regime.execution_exemption is not None and claim.legal_category is LegalCategory.FORCED_PUBLIC
    for i, event in enumerate(ordered):
        if event.kind in _EXEMPTION_CITATIONS and not exempting:
            raise ValueError(f"kind: event {i} ({_iso(event.on)} {event.kind}): 執行停止 (地方税法15条の7) applies "
                             f"only to forced_public claims, not to a {claim.legal_category.value} claim")

    run = _Run(claim, entry, regime)
    run.begin()
    for event in ordered:
        if event.on > as_of:
            run.lines.append(f"{_iso(event.on)} {event.kind}: after the as-of date {_iso(as_of)}; not applied")
            continue
        run.apply(event)
    run.finish(as_of)

    when, by = run.extinguished if run.extinguished is not None else (None, None)
    return PrescriptionState(
        claim_id=claim.claim_id,
        rule_id=entry.id,
        table_version=table.version,
        as_of=as_of,
        period_starts_on=run.start,
        completes_on=run.completes_on,
        extinguished_on=when,
        extinguished_by=by,
        needs_invocation=entry.invocation_required,
        exemption_extinguishes_on=run.exemption_ends,
        explanation=run.lines,
    )


def _checked_events(events: Iterable[PrescriptionEvent]) -> list[PrescriptionEvent]:
    checked = list(events)
    for i, event in enumerate(checked):
        if not isinstance(event, PrescriptionEvent):
            raise ValueError(f"events: item {i} must be a PrescriptionEvent, got {type(event).__name__}")
    return checked


# --- the legal events of a claim, from its action record ------------------------------------------------------


def legal_events(actions: Iterable[tuple[date, str, str | None]], payments: Iterable[date] = ()
                 ) -> list[PrescriptionEvent]:
    """The prescription events of a claim: its recorded actions ``(on, kind, outcome)`` and the dates of payments
    allocated to it (一部納付 is 承認, 民法152条), in date order (same-day actions in the order given, payments
    first). This is the one explicit input list prescription runs on: anything that renews or suspends it (a
    department's 督促, a pledge, a seizure and its end, a 催告, 援用) must reach it as one of these.

    What each action is to prescription is its row's ``prescription`` in the table of legal actions
    (legal_actions.py): e.g. a court record whose outcome is won/final is the filing and the final judgment
    (民法147条2項), one withdrawn, dismissed or lost ended without a title (民法147条1項); a 執行停止 record with an
    ending outcome revokes it (地方税法15条の8). A department's own 督促 or 催告 recorded under the same kinds counts
    exactly like collection's; a kind no row knows has no effect."""
    events = [PrescriptionEvent(on, "payment") for on in payments]
    for on, kind, outcome in actions:
        spec = spec_of(kind)
        if spec is not None:
            events.extend(PrescriptionEvent(on, event) for event in spec.prescription.events_for(outcome))
    return sorted(events, key=lambda event: event.on)


def earliest_extinction(claim: PrescriptionClaim, table: PrescriptionTable) -> date:
    """The last day before which no event history can extinguish the claim: its period (or, when shorter, the
    執行停止's 3 years) counted from the day after the due date. Events only push completion later (renewals,
    suspensions, a judgment's 10 years), so a payment on or before this day always meets a live claim; the ledger
    uses it to skip the full computation for young claims."""
    entry = table.rule_for(claim.receivable_type, claim.legal_category, table.arising_on(claim))
    regime = table.regimes[entry.regime]
    months = entry.period.total_months
    if regime.execution_exemption is not None:
        months = min(months, regime.execution_exemption.total_months)
    return period_last_day(claim.due_date + timedelta(days=1), months=months)
