"""Webhook signatures to the welfare side: a known vector, round trip, tampering, wrong and rotated secrets,
replay in both directions, malformed headers, and the retry schedule (exact values, cap, giving up)."""

import pytest

from services.welfare_referral.signing import (
    DEFAULT_TOLERANCE,
    MAX_ATTEMPTS,
    SignatureError,
    gives_up,
    retry_schedule,
    sign,
    verify,
)

SECRET = b"whsec_test"
OLD_SECRET, NEW_SECRET = b"whsec_old_0001", b"whsec_new_0002"
BODY = b'{"a":1}'
T = 1_717_200_000
# printf '1717200000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
KNOWN = "t=1717200000,v1=ea75bd06b803b75b1fdb6a776bdbb6c2b2dbdc1cc8f66fd4aeb02575c2f32177"


def reason(secrets, body: bytes, header: str, *, now: int = T, **kwargs) -> str:
    with pytest.raises(SignatureError) as caught:
        verify(secrets, body, header, now=now, **kwargs)
    return caught.value.reason


# --- signing and verifying ------------------------------------------------------------------------------------

def test_sign_matches_an_independent_hmac():
    assert sign(SECRET, BODY, T) == KNOWN


def test_round_trip():
    header = sign(SECRET, BODY, T)
    assert verify(SECRET, BODY, header, now=T) is None
    assert verify([SECRET], BODY, header, now=T + 10) is None


def test_empty_body_round_trips():
    assert verify(SECRET, b"", sign(SECRET, b"", T), now=T) is None


def test_tampered_body_is_refused():
    assert reason(SECRET, b'{"a":2}', sign(SECRET, BODY, T)) == "bad signature"


def test_tampered_timestamp_is_refused():
    forged = sign(SECRET, BODY, T).replace(f"t={T}", f"t={T + 1}")
    assert reason(SECRET, BODY, forged, now=T + 1) == "bad signature"


def test_wrong_secret_is_refused():
    assert reason(b"whsec_other", BODY, sign(SECRET, BODY, T)) == "bad signature"


def test_error_never_carries_the_secret_or_signature():
    header = sign(SECRET, BODY, T)
    with pytest.raises(SignatureError) as caught:
        verify(b"whsec_other", BODY, header, now=T)
    text = str(caught.value)
    assert "whsec" not in text and header.split("v1=")[1] not in text and "{" not in text


# --- key rotation ---------------------------------------------------------------------------------------------

def test_receiver_with_old_and_new_secret_accepts_either_sender():
    for sender_secret in (OLD_SECRET, NEW_SECRET):
        assert verify([OLD_SECRET, NEW_SECRET], BODY, sign(sender_secret, BODY, T), now=T) is None


def test_sender_signing_with_both_secrets_is_accepted_by_old_or_new_receiver():
    old_sig = sign(OLD_SECRET, BODY, T).split(",")[1]
    header = f"{sign(NEW_SECRET, BODY, T)},{old_sig}"
    assert verify([OLD_SECRET], BODY, header, now=T) is None
    assert verify([NEW_SECRET], BODY, header, now=T) is None
    assert verify((NEW_SECRET, OLD_SECRET), BODY, header, now=T) is None


def test_retired_secret_is_refused():
    assert reason([NEW_SECRET], BODY, sign(OLD_SECRET, BODY, T)) == "bad signature"


def test_unknown_schemes_are_ignored():
    assert verify(SECRET, BODY, f"{KNOWN},v0=deadbeef", now=T) is None


def test_no_secrets_is_a_configuration_error():
    with pytest.raises(ValueError):
        verify([], BODY, KNOWN, now=T)
    with pytest.raises(ValueError):
        verify(b"", BODY, KNOWN, now=T)


# --- replay -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("offset", [0, DEFAULT_TOLERANCE, -DEFAULT_TOLERANCE])
def test_inside_the_tolerance_is_accepted(offset):
    assert verify(SECRET, BODY, KNOWN, now=T + offset) is None


def test_too_old_is_refused():
    assert reason(SECRET, BODY, KNOWN, now=T + DEFAULT_TOLERANCE + 1).startswith("timestamp too old")


def test_from_the_future_is_refused():
    assert reason(SECRET, BODY, KNOWN, now=T - DEFAULT_TOLERANCE - 1).startswith("timestamp in the future")


def test_custom_tolerance():
    assert verify(SECRET, BODY, KNOWN, now=T + 60, tolerance=60) is None
    assert reason(SECRET, BODY, KNOWN, now=T + 61, tolerance=60).startswith("timestamp too old")


def test_a_forged_old_delivery_reports_bad_signature_not_replay():
    assert reason(b"whsec_other", BODY, KNOWN, now=T + 10_000) == "bad signature"


# --- malformed headers --------------------------------------------------------------------------------------------

DIGEST = KNOWN.split("v1=")[1]


@pytest.mark.parametrize(("header", "words"), [
    ("", "empty"),
    ("   ", "empty"),
    (f"v1={DIGEST}", "exactly one t"),
    (f"t={T}", "no v1"),
    (f"t={T},v0={DIGEST}", "no v1"),
    (f"t=abc,v1={DIGEST}", "t is not a number"),
    (f"t=-5,v1={DIGEST}", "t is not a number"),
    (f"t=,v1={DIGEST}", "t is not a number"),
    (f"t=１２３,v1={DIGEST}", "t is not a number"),
    (f"t={T},t={T},v1={DIGEST}", "exactly one t"),
    (f"t={T},v1=xyz", "not a hex"),
    (f"t={T},v1=", "not a hex"),
    (f"t={T},v1={DIGEST.upper()}", "not a hex"),
    (f"t={T};v1={DIGEST}", "not a number"),
    (f"t={T},garbage", "key=value"),
    (f"t={T},,v1={DIGEST}", "key=value"),
    (f"t={T}," + ",".join([f"v1={DIGEST}"] * 100), "too long"),
])
def test_malformed_headers(header, words):
    found = reason(SECRET, BODY, header)
    assert found.startswith("malformed signature header") and words in found


def test_whitespace_around_elements_is_tolerated():
    assert verify(SECRET, BODY, KNOWN.replace(",", ", "), now=T) is None


# --- retry schedule -----------------------------------------------------------------------------------------------

NOMINAL = [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 1280.0, 2560.0, 3600.0, 3600.0]
SEEDED = [5.093, 9.492, 21.339, 41.08, 72.096, 171.074, 341.893, 614.02, 1237.026, 2421.657, 3927.241, 3732.151]


def test_schedule_without_jitter_is_exponential_and_capped():
    assert [retry_schedule(n) for n in range(1, 13)] == NOMINAL


def test_schedule_with_a_fixed_seed_is_exact():
    assert [retry_schedule(n, jitter_seed="delivery-0001") for n in range(1, 13)] == SEEDED


def test_jitter_stays_within_ten_percent_of_the_capped_delay():
    for seed in ("delivery-0001", "delivery-0002", "x"):
        for n, nominal in enumerate(NOMINAL, start=1):
            assert 0.9 * nominal <= retry_schedule(n, jitter_seed=seed) <= 1.1 * nominal


def test_jitter_is_deterministic_and_differs_between_seeds():
    assert retry_schedule(5, jitter_seed="a") == retry_schedule(5, jitter_seed="a")
    assert retry_schedule(5, jitter_seed="a") != retry_schedule(5, jitter_seed="b")


def test_cap_and_base():
    assert retry_schedule(30) == 3600.0
    assert retry_schedule(5000) == 3600.0
    assert retry_schedule(4, base=1.0, cap=6.0) == 6.0
    assert retry_schedule(3, base=1.0, cap=6.0) == 4.0


@pytest.mark.parametrize("attempt", [0, -1, True])
def test_attempts_count_from_one(attempt):
    with pytest.raises(ValueError):
        retry_schedule(attempt)


def test_gives_up_after_max_attempts():
    assert MAX_ATTEMPTS == 10
    assert [gives_up(n) for n in range(1, 13)] == [False] * 9 + [True] * 3
