"""``python -m services.welfare_referral`` serves the welfare referral API and consumes collection's standings."""

import sys

from services.welfare_referral.settings import WelfareReferralSettings
from shared.serve import serve


def main() -> int:
    serve("services.welfare_referral.app:create_app", WelfareReferralSettings())
    return 0


if __name__ == "__main__":
    sys.exit(main())
