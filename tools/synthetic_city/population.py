"""Residents, households and businesses of the synthetic city, with each person's payment behaviour.

Everything derives from one seed: the same seed and size always give the same city.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from tools.synthetic_city.names import BUSINESS_NAMES, FEMALE_NAMES, MALE_NAMES, POSTAL_CODES, SURNAMES, TOWNS


class Behaviour(StrEnum):
    ON_TIME = "on_time"  # pays every bill by its due date
    LATE = "late"  # pays, but weeks or months late
    CHRONIC = "chronic"  # 常習滞納: pays a few bills, late
    HARDSHIP = "hardship"  # 生活困窮: pays little, applies for exemptions, agrees installments


BEHAVIOUR_WEIGHTS = {Behaviour.ON_TIME: 0.75, Behaviour.LATE: 0.12, Behaviour.CHRONIC: 0.08,
                     Behaviour.HARDSHIP: 0.05}


@dataclass
class Address:
    postal_code: str
    town: str
    chome: int
    banchi: int
    go: int

    def full(self) -> str:
        return f"愛知県豊田市{self.town}{self.chome}丁目{self.banchi}番地{self.go}号"


@dataclass
class Resident:
    resident_id: str
    atena: str  # 宛名番号 shared by the core systems (tax, insurance, childcare)
    surname: str
    surname_kana: str
    given: str
    given_kana: str
    sex: str
    birth_date: date
    household_id: str
    phone: str | None
    behaviour: Behaviour
    maiden_surname: tuple[str, str] | None = None  # a department may still hold the old name
    previous_address: Address | None = None  # a department may still hold the old address
    deceased_on: date | None = None

    @property
    def name(self) -> str:
        return f"{self.surname} {self.given}"

    @property
    def kana(self) -> str:
        return f"{self.surname_kana} {self.given_kana}"

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


@dataclass
class Household:
    household_id: str
    address: Address
    members: list[Resident] = field(default_factory=list)
    owns_home: bool = False
    in_municipal_housing: bool = False
    employer_insured: bool = True  # 社会保険: no 国民健康保険税

    @property
    def head(self) -> Resident:
        adults = [m for m in self.members if m.age_on(date(2024, 4, 1)) >= 18] or self.members
        return min(adults, key=lambda m: m.birth_date)


@dataclass
class Business:
    business_id: str
    name: str
    kana: str
    address: Address
    phone: str
    behaviour: Behaviour


@dataclass
class City:
    seed: int
    households: list[Household]
    businesses: list[Business]
    id_space: int = 0

    @property
    def residents(self) -> list[Resident]:
        return [m for h in self.households for m in h.members]


def _address(rng: random.Random) -> Address:
    return Address(rng.choice(POSTAL_CODES), rng.choice(TOWNS), rng.randint(1, 5), rng.randint(1, 60),
                   rng.randint(1, 20))


def _birth_date(rng: random.Random, low_age: int, high_age: int, on: date = date(2024, 4, 1)) -> date:
    age_days = rng.randint(low_age * 365 + 1, high_age * 365 + 364)
    return on - timedelta(days=age_days)


def build_city(households: int, *, seed: int = 20240401, id_space: int = 0) -> City:
    """A city of ``households`` households (about 2.5 residents each) and a few businesses.

    ``id_space`` (0–9) shifts every id and number the departments use, so several cities can live in one
    system (tests, benchmarks) without sharing a single key; ids keep the width the formats allow."""
    if not 0 <= id_space <= 9:
        raise ValueError("id_space must be from 0 to 9")
    rng = random.Random(seed)
    result: list[Household] = []
    serial = id_space * 10_000_000

    def person(household_id: str, surname: tuple[str, str], sex: str, birth: date, behaviour: Behaviour) -> Resident:
        nonlocal serial
        serial += 1
        # A family never gives a child the name of another member (a 戸籍 would not register it).
        taken = {m.given for m in household.members}
        given = rng.choice([n for n in (MALE_NAMES if sex == "M" else FEMALE_NAMES) if n[0] not in taken])
        phone = f"0565-{rng.randint(10, 99)}-{rng.randint(0, 9999):04d}" if rng.random() < 0.8 else None
        return Resident(f"R{serial:07d}", f"{100_000_000 + serial}", surname[0], surname[1], given[0], given[1], sex,
                        birth, household_id, phone, behaviour)

    for n in range(1, households + 1):
        household_id = f"HH{id_space * 10_000_000 + n:07d}"
        household = Household(household_id, _address(rng))
        behaviour = rng.choices(list(BEHAVIOUR_WEIGHTS), weights=list(BEHAVIOUR_WEIGHTS.values()))[0]
        surname = rng.choice(SURNAMES)
        shape = rng.random()
        head_sex = "M" if rng.random() < 0.6 else "F"
        if shape < 0.30:  # one person, any adult age
            household.members.append(person(household_id, surname, head_sex, _birth_date(rng, 19, 92), behaviour))
        elif shape < 0.55:  # couple
            head = person(household_id, surname, "M", _birth_date(rng, 25, 88), behaviour)
            spouse = person(household_id, surname, "F", head.birth_date + timedelta(days=rng.randint(-1500, 1500)),
                            behaviour)
            household.members += [head, spouse]
        else:  # parents (or a single parent) with children
            head = person(household_id, surname, head_sex, _birth_date(rng, 26, 50), behaviour)
            household.members.append(head)
            if rng.random() < 0.8:
                spouse = person(household_id, surname, "F" if head_sex == "M" else "M",
                                head.birth_date + timedelta(days=rng.randint(-1200, 1200)), behaviour)
                household.members.append(spouse)
            for _ in range(rng.randint(1, 3)):
                household.members.append(person(household_id, surname, rng.choice("MF"), _birth_date(rng, 0, 14),
                                                behaviour))
        for member in household.members:
            adult = member.age_on(date(2024, 4, 1)) >= 20
            if adult and member.sex == "F" and rng.random() < 0.05:
                member.maiden_surname = rng.choice(SURNAMES)
            if rng.random() < 0.08:
                member.previous_address = _address(rng)
            if adult and member.age_on(date(2024, 4, 1)) > 70 and rng.random() < 0.02:
                member.deceased_on = date(2024, rng.randint(6, 12), rng.randint(1, 28))
        household.owns_home = rng.random() < 0.5
        household.in_municipal_housing = not household.owns_home and rng.random() < 0.10
        household.employer_insured = rng.random() < 0.72
        result.append(household)

    businesses = []
    for n in range(1, max(1, households // 50) + 1):
        name, kana = rng.choice(BUSINESS_NAMES)
        behaviour = rng.choices(list(BEHAVIOUR_WEIGHTS), weights=list(BEHAVIOUR_WEIGHTS.values()))[0]
        businesses.append(Business(f"B{id_space * 1_000_000 + n:06d}", name if n <= len(BUSINESS_NAMES) else f"{name}{n}", kana,
                                   _address(rng), f"0565-{rng.randint(10, 99)}-{rng.randint(0, 9999):04d}", behaviour))
    return City(seed, result, businesses, id_space)
