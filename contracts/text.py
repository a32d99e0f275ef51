"""Text fields every contract shares: no C0 control character (U+0000–U+001F) and no DEL.

No departmental record holds one, PostgreSQL text cannot store NUL, and a line break inside a name or an address
breaks every document and export downstream: a message with one is refused at the contract, so a producer that
let one through is told which field, and a consumer dead-letters the message instead of failing on it later.
The rule is a pattern, so it is in the published JSON Schemas too, and it composes with each field's own length
limit (``Field(max_length=...)``).
"""

from typing import Annotated

from pydantic import StringConstraints

NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"

PlainText = Annotated[str, StringConstraints(pattern=NO_CONTROL_CHARACTERS)]
